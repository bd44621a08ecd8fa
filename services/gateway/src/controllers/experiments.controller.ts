import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { tracking } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import { createExperimentBody, getExperimentQuery } from '../dtos/experiments.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

@Controller(MLFLOW_PREFIXES)
export class ExperimentsController {
  constructor(private readonly tracking: TrackingClient) {}

  @Get('experiments/get')
  get(@Query() query: unknown): Promise<tracking.GetExperimentResponse> {
    return this.tracking.call('getExperiment', parseRequest(getExperimentQuery, query));
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
}
