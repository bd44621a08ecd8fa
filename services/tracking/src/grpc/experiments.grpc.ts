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

  @GrpcMethod(SERVICE, 'createExperiment')
  async createExperiment(request: tracking.CreateExperimentRequest): Promise<tracking.CreateExperimentResponse> {
    return { experiment_id: await this.experiments.create(request) };
  }
}
