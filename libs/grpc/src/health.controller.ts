import { Controller, Inject, Optional } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { health } from '@cairn/contracts';

/** A readiness probe of the service's own dependencies (database ping, ...). */
export interface HealthProbe {
  (): Promise<boolean>;
}

export const HEALTH_PROBE = Symbol('HEALTH_PROBE');

/** grpc.health.v1.Health/Check for Kubernetes grpc probes and grpc_health_probe. */
@Controller()
export class HealthGrpcController {
  constructor(@Optional() @Inject(HEALTH_PROBE) private readonly probe?: HealthProbe) {}

  @GrpcMethod('Health', 'Check')
  async check(): Promise<health.HealthCheckResponse> {
    const ok = this.probe ? await this.probe().catch(() => false) : true;
    return {
      status: ok
        ? health.HealthCheckResponse_ServingStatus.SERVING
        : health.HealthCheckResponse_ServingStatus.NOT_SERVING,
    };
  }
}
