import { Body, Controller, Delete, Get, Header, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { registry } from '@cairn/contracts';
import { Actor, RegistryClient } from '../clients/registry.client';
import {
  aliasBody,
  aliasQuery,
  createRegisteredModelBody,
  deleteInput,
  deleteRegisteredModelTagBody,
  latestVersionsBody,
  latestVersionsQuery,
  nameOnly,
  nameQuery,
  renameRegisteredModelBody,
  searchQuery,
  setAliasBody,
  setRegisteredModelTagBody,
  updateRegisteredModelBody,
} from '../dtos/registry.dto';
import { RENDERED_JSON_CONTENT_TYPE, renderedJson } from '../http/rendered-json';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/** MLflow's `registered-models/*` endpoints. An absent body reads as `{}`. */
@Controller(MLFLOW_PREFIXES)
export class RegistryModelsController {
  constructor(private readonly registry: RegistryClient) {}

  @Post('registered-models/create')
  @HttpCode(200)
  create(@Body() body: unknown, @Actor() actor: string): Promise<registry.CreateRegisteredModelResponse> {
    return this.registry.call('createRegisteredModel', parseRequest(createRegisteredModelBody, body ?? {}), actor);
  }

  @Post('registered-models/rename')
  @HttpCode(200)
  rename(@Body() body: unknown, @Actor() actor: string): Promise<registry.RenameRegisteredModelResponse> {
    return this.registry.call('renameRegisteredModel', parseRequest(renameRegisteredModelBody, body ?? {}), actor);
  }

  @Patch('registered-models/update')
  update(@Body() body: unknown, @Actor() actor: string): Promise<registry.UpdateRegisteredModelResponse> {
    return this.registry.call('updateRegisteredModel', parseRequest(updateRegisteredModelBody, body ?? {}), actor);
  }

  @Delete('registered-models/delete')
  delete(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteRegisteredModelResponse> {
    return this.registry.call('deleteRegisteredModel', parseRequest(nameOnly, deleteInput(query, body)), actor);
  }

  @Get('registered-models/get')
  get(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetRegisteredModelResponse> {
    return this.registry.call('getRegisteredModel', parseRequest(nameQuery, query), actor);
  }

  /** Sends the page's JSON as the registry rendered it (SearchRegisteredModelsResponse.json). */
  @Get('registered-models/search')
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async search(@Query() query: unknown, @Actor() actor: string): Promise<Buffer> {
    return renderedJson((await this.registry.call('searchRegisteredModels', parseRequest(searchQuery, query), actor)).json);
  }

  @Post('registered-models/get-latest-versions')
  @HttpCode(200)
  latestVersions(@Body() body: unknown, @Actor() actor: string): Promise<registry.GetLatestVersionsResponse> {
    return this.registry.call('getLatestVersions', parseRequest(latestVersionsBody, body ?? {}), actor);
  }

  @Get('registered-models/get-latest-versions')
  latestVersionsByQuery(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetLatestVersionsResponse> {
    return this.registry.call('getLatestVersions', parseRequest(latestVersionsQuery, query), actor);
  }

  @Post('registered-models/set-tag')
  @HttpCode(200)
  setTag(@Body() body: unknown, @Actor() actor: string): Promise<registry.SetRegisteredModelTagResponse> {
    return this.registry.call('setRegisteredModelTag', parseRequest(setRegisteredModelTagBody, body ?? {}), actor);
  }

  @Delete('registered-models/delete-tag')
  deleteTag(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteRegisteredModelTagResponse> {
    return this.registry.call('deleteRegisteredModelTag', parseRequest(deleteRegisteredModelTagBody, deleteInput(query, body)), actor);
  }

  @Post('registered-models/alias')
  @HttpCode(200)
  setAlias(@Body() body: unknown, @Actor() actor: string): Promise<registry.SetRegisteredModelAliasResponse> {
    return this.registry.call('setRegisteredModelAlias', parseRequest(setAliasBody, body ?? {}), actor);
  }

  @Delete('registered-models/alias')
  deleteAlias(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteRegisteredModelAliasResponse> {
    return this.registry.call('deleteRegisteredModelAlias', parseRequest(aliasBody, deleteInput(query, body)), actor);
  }

  @Get('registered-models/alias')
  getByAlias(@Query() query: unknown, @Actor() actor: string): Promise<registry.GetModelVersionByAliasResponse> {
    return this.registry.call('getModelVersionByAlias', parseRequest(aliasQuery, query), actor);
  }
}
