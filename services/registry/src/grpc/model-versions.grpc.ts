import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { registry } from '@cairn/contracts';
import { ModelVersionsService } from '../services/model-versions.service';
import { actorOf } from './actor';

const SERVICE = registry.REGISTRY_SERVICE_NAME;

@Controller()
export class ModelVersionsGrpc {
  constructor(private readonly versions: ModelVersionsService) {}

  @GrpcMethod(SERVICE, 'createModelVersion')
  async createModelVersion(
    request: registry.CreateModelVersionRequest,
    metadata: Metadata,
  ): Promise<registry.CreateModelVersionResponse> {
    return { model_version: await this.versions.create(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'updateModelVersion')
  async updateModelVersion(request: registry.UpdateModelVersionRequest): Promise<registry.UpdateModelVersionResponse> {
    return { model_version: await this.versions.update(request) };
  }

  @GrpcMethod(SERVICE, 'transitionModelVersionStage')
  async transitionModelVersionStage(
    request: registry.TransitionModelVersionStageRequest,
    metadata: Metadata,
  ): Promise<registry.TransitionModelVersionStageResponse> {
    return { model_version: await this.versions.transition(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'deleteModelVersion')
  async deleteModelVersion(
    request: registry.DeleteModelVersionRequest,
    metadata: Metadata,
  ): Promise<registry.DeleteModelVersionResponse> {
    await this.versions.delete(request, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'getModelVersion')
  async getModelVersion(request: registry.GetModelVersionRequest): Promise<registry.GetModelVersionResponse> {
    return { model_version: await this.versions.get(request.name, request.version) };
  }

  @GrpcMethod(SERVICE, 'searchModelVersions')
  searchModelVersions(request: registry.SearchModelVersionsRequest): Promise<registry.SearchModelVersionsResponse> {
    return this.versions.search(request);
  }

  @GrpcMethod(SERVICE, 'getModelVersionDownloadUri')
  async getModelVersionDownloadUri(
    request: registry.GetModelVersionDownloadUriRequest,
  ): Promise<registry.GetModelVersionDownloadUriResponse> {
    return { artifact_uri: await this.versions.downloadUri(request.name, request.version) };
  }

  @GrpcMethod(SERVICE, 'setModelVersionTag')
  async setModelVersionTag(
    request: registry.SetModelVersionTagRequest,
    metadata: Metadata,
  ): Promise<registry.SetModelVersionTagResponse> {
    await this.versions.setTag(request, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'deleteModelVersionTag')
  async deleteModelVersionTag(
    request: registry.DeleteModelVersionTagRequest,
    metadata: Metadata,
  ): Promise<registry.DeleteModelVersionTagResponse> {
    await this.versions.deleteTag(request, actorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'resolveModelUri')
  resolveModelUri(request: registry.ResolveModelUriRequest): Promise<registry.ResolveModelUriResponse> {
    return this.versions.resolveUri(request.uri);
  }
}
