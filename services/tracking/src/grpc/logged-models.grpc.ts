import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { LoggedModelsService } from '../services/logged-models.service';

const SERVICE = tracking.TRACKING_SERVICE_NAME;

/** MLflow 3 logged models (`/logged-models...`). */
@Controller()
export class LoggedModelsGrpc {
  constructor(private readonly models: LoggedModelsService) {}

  @GrpcMethod(SERVICE, 'createLoggedModel')
  async createLoggedModel(request: tracking.CreateLoggedModelRequest): Promise<tracking.CreateLoggedModelResponse> {
    return { model: await this.models.create(request) };
  }

  @GrpcMethod(SERVICE, 'getLoggedModel')
  async getLoggedModel(request: tracking.GetLoggedModelRequest): Promise<tracking.GetLoggedModelResponse> {
    return { model: await this.models.get(request.model_id) };
  }

  @GrpcMethod(SERVICE, 'finalizeLoggedModel')
  async finalizeLoggedModel(request: tracking.FinalizeLoggedModelRequest): Promise<tracking.FinalizeLoggedModelResponse> {
    return { model: await this.models.finalize(request.model_id, request.status) };
  }

  @GrpcMethod(SERVICE, 'deleteLoggedModel')
  async deleteLoggedModel(request: tracking.DeleteLoggedModelRequest): Promise<tracking.DeleteLoggedModelResponse> {
    await this.models.delete(request.model_id);
    return {};
  }

  @GrpcMethod(SERVICE, 'searchLoggedModels')
  searchLoggedModels(request: tracking.SearchLoggedModelsRequest): Promise<tracking.SearchLoggedModelsResponse> {
    return this.models.search(request);
  }

  @GrpcMethod(SERVICE, 'setLoggedModelTags')
  async setLoggedModelTags(request: tracking.SetLoggedModelTagsRequest): Promise<tracking.SetLoggedModelTagsResponse> {
    return { model: await this.models.setTags(request.model_id, request.tags ?? []) };
  }

  @GrpcMethod(SERVICE, 'deleteLoggedModelTag')
  async deleteLoggedModelTag(request: tracking.DeleteLoggedModelTagRequest): Promise<tracking.DeleteLoggedModelTagResponse> {
    await this.models.deleteTag(request.model_id, request.tag_key);
    return {};
  }

  @GrpcMethod(SERVICE, 'logLoggedModelParams')
  async logLoggedModelParams(request: tracking.LogLoggedModelParamsRequest): Promise<tracking.LogLoggedModelParamsResponse> {
    await this.models.logParams(request.model_id, request.params ?? []);
    return {};
  }
}
