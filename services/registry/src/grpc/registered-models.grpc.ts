import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { registry } from '@cairn/contracts';
import { RegisteredModelsService } from '../services/registered-models.service';
import { actorOf } from './actor';

const SERVICE = registry.REGISTRY_SERVICE_NAME;

@Controller()
export class RegisteredModelsGrpc {
  constructor(private readonly models: RegisteredModelsService) {}

  @GrpcMethod(SERVICE, 'createRegisteredModel')
  async createRegisteredModel(
    request: registry.CreateRegisteredModelRequest,
    metadata: Metadata,
  ): Promise<registry.CreateRegisteredModelResponse> {
    return { registered_model: await this.models.create(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'renameRegisteredModel')
  async renameRegisteredModel(
    request: registry.RenameRegisteredModelRequest,
    metadata: Metadata,
  ): Promise<registry.RenameRegisteredModelResponse> {
    return { registered_model: await this.models.rename(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'updateRegisteredModel')
  async updateRegisteredModel(request: registry.UpdateRegisteredModelRequest): Promise<registry.UpdateRegisteredModelResponse> {
    return { registered_model: await this.models.update(request) };
  }

  @GrpcMethod(SERVICE, 'deleteRegisteredModel')
  async deleteRegisteredModel(
    request: registry.DeleteRegisteredModelRequest,
    metadata: Metadata,
  ): Promise<registry.DeleteRegisteredModelResponse> {
    await this.models.delete(request.name, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'getRegisteredModel')
  async getRegisteredModel(request: registry.GetRegisteredModelRequest): Promise<registry.GetRegisteredModelResponse> {
    return { registered_model: await this.models.get(request.name) };
  }

  @GrpcMethod(SERVICE, 'searchRegisteredModels')
  searchRegisteredModels(request: registry.SearchRegisteredModelsRequest): Promise<registry.SearchRegisteredModelsResponse> {
    return this.models.search(request);
  }

  @GrpcMethod(SERVICE, 'getLatestVersions')
  async getLatestVersions(request: registry.GetLatestVersionsRequest): Promise<registry.GetLatestVersionsResponse> {
    return { model_versions: await this.models.latestVersions(request) };
  }

  @GrpcMethod(SERVICE, 'setRegisteredModelTag')
  async setRegisteredModelTag(request: registry.SetRegisteredModelTagRequest): Promise<registry.SetRegisteredModelTagResponse> {
    await this.models.setTag(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'deleteRegisteredModelTag')
  async deleteRegisteredModelTag(
    request: registry.DeleteRegisteredModelTagRequest,
  ): Promise<registry.DeleteRegisteredModelTagResponse> {
    await this.models.deleteTag(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'setRegisteredModelAlias')
  async setRegisteredModelAlias(
    request: registry.SetRegisteredModelAliasRequest,
    metadata: Metadata,
  ): Promise<registry.SetRegisteredModelAliasResponse> {
    await this.models.setAlias(request, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'deleteRegisteredModelAlias')
  async deleteRegisteredModelAlias(
    request: registry.DeleteRegisteredModelAliasRequest,
    metadata: Metadata,
  ): Promise<registry.DeleteRegisteredModelAliasResponse> {
    await this.models.deleteAlias(request, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'getModelVersionByAlias')
  async getModelVersionByAlias(request: registry.GetModelVersionByAliasRequest): Promise<registry.GetModelVersionByAliasResponse> {
    return { model_version: await this.models.versionByAlias(request) };
  }
}
