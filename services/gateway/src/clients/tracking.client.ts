import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { unary } from './grpc-call';

export const TRACKING_GRPC = Symbol('TRACKING_GRPC');

/** The gateway's handle on the tracking service. */
@Injectable()
export class TrackingClient implements OnModuleInit {
  private service!: tracking.TrackingServiceClient;

  constructor(@Inject(TRACKING_GRPC) private readonly grpc: ClientGrpc) {}

  onModuleInit(): void {
    this.service = this.grpc.getService<tracking.TrackingServiceClient>(tracking.TRACKING_SERVICE_NAME);
  }

  getExperiment(request: tracking.GetExperimentRequest): Promise<tracking.GetExperimentResponse> {
    return unary((r, m) => this.service.getExperiment(r, m), request);
  }

  createExperiment(request: tracking.CreateExperimentRequest): Promise<tracking.CreateExperimentResponse> {
    return unary((r, m) => this.service.createExperiment(r, m), request);
  }
}
