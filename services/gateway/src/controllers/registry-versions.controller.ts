import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { registry } from '@cairn/contracts';
import { Actor, RegistryClient } from '../clients/registry.client';
import { activityQuery } from '../dtos/registry-governance.dto';
import {
  createModelVersionBody,
  deleteInput,
  deleteModelVersionTagBody,
  searchQuery,
  setModelVersionTagBody,
  transitionStageBody,
  updateModelVersionBody,
  versionBody,
  versionQuery,
} from '../dtos/registry.dto';
import { RENDERED_JSON_CONTENT_TYPE, renderedJson } from '../http/rendered-json';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/** MLflow's `model-versions/*` endpoints, plus Cairn's activity history of a version. */
@Controller(MLFLOW_PREFIXES)
export class RegistryVersionsController {
  constructor(private readonly registry: RegistryClient) {}

  @Post('model-versions/create')
  @HttpCode(200)
  create(@Body() body: unknown, @Actor() actor: string): Promise<registry.CreateModelVersionResponse> {
    return this.registry.call('createModelVersion', parseRequest(createModelVersionBody, body ?? {}), actor);
  }

  @Patch('model-versions/update')
  update(@Body() body: unknown, @Actor() actor: string): Promise<registry.UpdateModelVersionResponse> {
    return this.registry.call('updateModelVersion', parseRequest(updateModelVersionBody, body ?? {}), actor);
  }

  @Post('model-versions/transition-stage')
  @HttpCode(200)
  transition(@Body() body: unknown, @Actor() actor: string): Promise<registry.TransitionModelVersionStageResponse> {
    return this.registry.call('transitionModelVersionStage', parseRequest(transitionStageBody, body ?? {}), actor);
  }

  @Delete('model-versions/delete')
  delete(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteModelVersionResponse> {
    return this.registry.call('deleteModelVersion', parseRequest(versionBody, deleteInput(query, body)), actor);
  }

  @Get('model-versions/get')
  get(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetModelVersionResponse> {
    return this.registry.call('getModelVersion', parseRequest(versionQuery, query), actor);
  }

  /** Sends the page's JSON as the registry rendered it (SearchModelVersionsResponse.json). */
  @Get('model-versions/search')
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async search(@Query() query: unknown, @Actor() actor: string): Promise<Buffer> {
    return renderedJson((await this.registry.call('searchModelVersions', parseRequest(searchQuery, query), actor)).json);
  }

  @Get('model-versions/get-download-uri')
  downloadUri(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetModelVersionDownloadUriResponse> {
    return this.registry.call('getModelVersionDownloadUri', parseRequest(versionQuery, query), actor);
  }

  @Post('model-versions/set-tag')
  @HttpCode(200)
  setTag(@Body() body: unknown, @Actor() actor: string): Promise<registry.SetModelVersionTagResponse> {
    return this.registry.call('setModelVersionTag', parseRequest(setModelVersionTagBody, body ?? {}), actor);
  }

  @Delete('model-versions/delete-tag')
  deleteTag(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteModelVersionTagResponse> {
    return this.registry.call('deleteModelVersionTag', parseRequest(deleteModelVersionTagBody, deleteInput(query, body)), actor);
  }

  /**
   * Cairn: the activity history of a version (every transition, request,
   * approval, rejection, cancellation, comment and system transition, with who
   * and when), and the version with its open transition requests.
   */
  @Get('model-versions/activity')
  activity(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetModelVersionActivityResponse> {
    return this.registry.call('getModelVersionActivity', parseRequest(activityQuery, query), actor);
  }
}
