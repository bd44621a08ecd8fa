import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { tracking } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import {
  createExperimentBody,
  deleteExperimentTagBody,
  experimentIdBody,
  getExperimentByNameQuery,
  getExperimentQuery,
  searchExperimentsBody,
  searchExperimentsQuery,
  setExperimentTagBody,
  updateExperimentBody,
} from '../dtos/experiments.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

function toSearchRequest(r: z.infer<typeof searchExperimentsBody>): tracking.SearchExperimentsRequest {
  return {
    max_results: r.max_results ?? 0,
    page_token: r.page_token ?? '',
    filter: r.filter ?? '',
    order_by: r.order_by ?? [],
    view_type: r.view_type ?? '',
  };
}

@Controller(MLFLOW_PREFIXES)
export class ExperimentsController {
  constructor(private readonly tracking: TrackingClient) {}

  @Get('experiments/get')
  get(@Query() query: unknown): Promise<tracking.GetExperimentResponse> {
    return this.tracking.call('getExperiment', parseRequest(getExperimentQuery, query));
  }

  @Get('experiments/get-by-name')
  getByName(@Query() query: unknown): Promise<tracking.GetExperimentByNameResponse> {
    return this.tracking.call('getExperimentByName', parseRequest(getExperimentByNameQuery, query));
  }

  @Post('experiments/create')
  @HttpCode(200)
  create(@Body() body: unknown): Promise<tracking.CreateExperimentResponse> {
    const request = parseRequest(createExperimentBody, body);
    return this.tracking.call('createExperiment', {
      name: request.name,
      artifact_location: request.artifact_location ?? '',
      tags: request.tags ?? [],
    });
  }

  @Post('experiments/search')
  @HttpCode(200)
  search(@Body() body: unknown): Promise<tracking.SearchExperimentsResponse> {
    return this.tracking.call('searchExperiments', toSearchRequest(parseRequest(searchExperimentsBody, body)));
  }

  @Get('experiments/search')
  searchByQuery(@Query() query: unknown): Promise<tracking.SearchExperimentsResponse> {
    return this.tracking.call('searchExperiments', toSearchRequest(parseRequest(searchExperimentsQuery, query)));
  }

  @Post('experiments/delete')
  @HttpCode(200)
  delete(@Body() body: unknown): Promise<tracking.DeleteExperimentResponse> {
    return this.tracking.call('deleteExperiment', parseRequest(experimentIdBody, body));
  }

  @Post('experiments/restore')
  @HttpCode(200)
  restore(@Body() body: unknown): Promise<tracking.RestoreExperimentResponse> {
    return this.tracking.call('restoreExperiment', parseRequest(experimentIdBody, body));
  }

  @Post('experiments/update')
  @HttpCode(200)
  update(@Body() body: unknown): Promise<tracking.UpdateExperimentResponse> {
    return this.tracking.call('updateExperiment', parseRequest(updateExperimentBody, body));
  }

  @Post('experiments/set-experiment-tag')
  @HttpCode(200)
  setTag(@Body() body: unknown): Promise<tracking.SetExperimentTagResponse> {
    return this.tracking.call('setExperimentTag', parseRequest(setExperimentTagBody, body));
  }

  @Post('experiments/delete-experiment-tag')
  @HttpCode(200)
  deleteTag(@Body() body: unknown): Promise<tracking.DeleteExperimentTagResponse> {
    return this.tracking.call('deleteExperimentTag', parseRequest(deleteExperimentTagBody, body));
  }
}
