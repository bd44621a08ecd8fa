import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { ExperimentsService } from '../services/experiments.service';

const SERVICE = tracking.TRACKING_SERVICE_NAME;

@Controller()
export class ExperimentsGrpc {
  constructor(private readonly experiments: ExperimentsService) {}

  @GrpcMethod(SERVICE, 'getExperiment')
  async getExperiment(request: tracking.GetExperimentRequest): Promise<tracking.GetExperimentResponse> {
    return { experiment: await this.experiments.get(request.experiment_id) };
  }

  @GrpcMethod(SERVICE, 'getExperimentByName')
  async getExperimentByName(request: tracking.GetExperimentByNameRequest): Promise<tracking.GetExperimentByNameResponse> {
    return { experiment: await this.experiments.getByName(request.experiment_name) };
  }

  @GrpcMethod(SERVICE, 'createExperiment')
  async createExperiment(request: tracking.CreateExperimentRequest): Promise<tracking.CreateExperimentResponse> {
    return { experiment_id: await this.experiments.create(request) };
  }

  @GrpcMethod(SERVICE, 'searchExperiments')
  searchExperiments(request: tracking.SearchExperimentsRequest): Promise<tracking.SearchExperimentsResponse> {
    return this.experiments.search(request);
  }

  @GrpcMethod(SERVICE, 'deleteExperiment')
  async deleteExperiment(request: tracking.DeleteExperimentRequest): Promise<tracking.DeleteExperimentResponse> {
    await this.experiments.delete(request.experiment_id);
    return {};
  }

  @GrpcMethod(SERVICE, 'restoreExperiment')
  async restoreExperiment(request: tracking.RestoreExperimentRequest): Promise<tracking.RestoreExperimentResponse> {
    await this.experiments.restore(request.experiment_id);
    return {};
  }

  @GrpcMethod(SERVICE, 'updateExperiment')
  async updateExperiment(request: tracking.UpdateExperimentRequest): Promise<tracking.UpdateExperimentResponse> {
    await this.experiments.rename(request.experiment_id, request.new_name);
    return {};
  }

  @GrpcMethod(SERVICE, 'setExperimentTag')
  async setExperimentTag(request: tracking.SetExperimentTagRequest): Promise<tracking.SetExperimentTagResponse> {
    await this.experiments.setTag(request.experiment_id, request.key, request.value);
    return {};
  }

  @GrpcMethod(SERVICE, 'deleteExperimentTag')
  async deleteExperimentTag(request: tracking.DeleteExperimentTagRequest): Promise<tracking.DeleteExperimentTagResponse> {
    await this.experiments.deleteTag(request.experiment_id, request.key);
    return {};
  }
}
