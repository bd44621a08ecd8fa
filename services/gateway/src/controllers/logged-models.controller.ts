import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { tracking } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import {
  createLoggedModelBody,
  finalizeLoggedModelBody,
  JsonLoggedModel,
  jsonLoggedModel,
  logLoggedModelParamsBody,
  searchLoggedModelsBody,
  setLoggedModelTagsBody,
} from '../dtos/logged-models.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/**
 * MLflow 3 logged models. An absent body reads as `{}` (required fields are
 * then reported by name); metric values leave JSON-safe (jsonLoggedModel).
 */
@Controller(MLFLOW_PREFIXES)
export class LoggedModelsController {
  constructor(private readonly tracking: TrackingClient) {}

  @Post('logged-models')
  @HttpCode(200)
  async create(@Body() body: unknown): Promise<{ model: JsonLoggedModel | undefined }> {
    const request = parseRequest(createLoggedModelBody, body ?? {});
    const reply = await this.tracking.call('createLoggedModel', {
      experiment_id: request.experiment_id,
      name: request.name ?? '',
      model_type: request.model_type ?? '',
      source_run_id: request.source_run_id ?? '',
      params: request.params ?? [],
      tags: request.tags ?? [],
    });
    return { model: jsonLoggedModel(reply.model) };
  }

  @Post('logged-models/search')
  @HttpCode(200)
  async search(@Body() body: unknown): Promise<{ models: (JsonLoggedModel | undefined)[]; next_page_token?: string }> {
    const request = parseRequest(searchLoggedModelsBody, body ?? {});
    const reply = await this.tracking.call('searchLoggedModels', {
      experiment_ids: request.experiment_ids,
      filter: request.filter ?? '',
      datasets: (request.datasets ?? []).map((d) => ({
        dataset_name: d.dataset_name ?? '',
        dataset_digest: d.dataset_digest ?? '',
      })),
      max_results: request.max_results ?? 0,
      order_by: (request.order_by ?? []).map((o) => ({
        field_name: o.field_name ?? '',
        ascending: o.ascending ?? undefined,
        dataset_name: o.dataset_name ?? '',
        dataset_digest: o.dataset_digest ?? '',
      })),
      page_token: request.page_token ?? '',
    });
    const models = reply.models.map(jsonLoggedModel);
    return reply.next_page_token ? { models, next_page_token: reply.next_page_token } : { models };
  }

  @Get('logged-models/:model_id')
  async get(@Param('model_id') modelId: string): Promise<{ model: JsonLoggedModel | undefined }> {
    const reply = await this.tracking.call('getLoggedModel', { model_id: modelId });
    return { model: jsonLoggedModel(reply.model) };
  }

  @Patch('logged-models/:model_id')
  async finalize(@Param('model_id') modelId: string, @Body() body: unknown): Promise<{ model: JsonLoggedModel | undefined }> {
    const request = parseRequest(finalizeLoggedModelBody, body ?? {});
    const reply = await this.tracking.call('finalizeLoggedModel', { model_id: modelId, status: request.status });
    return { model: jsonLoggedModel(reply.model) };
  }

  @Delete('logged-models/:model_id')
  delete(@Param('model_id') modelId: string): Promise<tracking.DeleteLoggedModelResponse> {
    return this.tracking.call('deleteLoggedModel', { model_id: modelId });
  }

  @Patch('logged-models/:model_id/tags')
  async setTags(@Param('model_id') modelId: string, @Body() body: unknown): Promise<{ model: JsonLoggedModel | undefined }> {
    const request = parseRequest(setLoggedModelTagsBody, body ?? {});
    const reply = await this.tracking.call('setLoggedModelTags', { model_id: modelId, tags: request.tags ?? [] });
    return { model: jsonLoggedModel(reply.model) };
  }

  @Delete('logged-models/:model_id/tags/:tag_key')
  deleteTag(
    @Param('model_id') modelId: string,
    @Param('tag_key') tagKey: string,
  ): Promise<tracking.DeleteLoggedModelTagResponse> {
    return this.tracking.call('deleteLoggedModelTag', { model_id: modelId, tag_key: tagKey });
  }

  @Post('logged-models/:model_id/params')
  @HttpCode(200)
  logParams(@Param('model_id') modelId: string, @Body() body: unknown): Promise<tracking.LogLoggedModelParamsResponse> {
    const request = parseRequest(logLoggedModelParamsBody, body ?? {});
    return this.tracking.call('logLoggedModelParams', { model_id: modelId, params: request.params ?? [] });
  }
}
