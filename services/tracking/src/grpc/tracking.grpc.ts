import { Controller } from '@nestjs/common';
import { tracking } from '@cairn/contracts';
import { ExperimentsService } from '../services/experiments.service';

@Controller()
@tracking.TrackingServiceControllerMethods()
export class TrackingGrpc implements tracking.TrackingServiceController {
  constructor(private readonly experiments: ExperimentsService) {}

  async getExperiment(request: tracking.GetExperimentRequest): Promise<tracking.GetExperimentResponse> {
    return { experiment: await this.experiments.get(request.experiment_id) };
  }

  async createExperiment(request: tracking.CreateExperimentRequest): Promise<tracking.CreateExperimentResponse> {
    return { experiment_id: await this.experiments.create(request) };
  }
}
