import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { MetricsService } from '../services/metrics.service';

const SERVICE = tracking.TRACKING_SERVICE_NAME;

@Controller()
export class MetricsGrpc {
  constructor(private readonly metrics: MetricsService) {}

  @GrpcMethod(SERVICE, 'getMetricHistory')
  getMetricHistory(request: tracking.GetMetricHistoryRequest): Promise<tracking.GetMetricHistoryResponse> {
    return this.metrics.history(request);
  }

  @GrpcMethod(SERVICE, 'getMetricHistoryBulk')
  getMetricHistoryBulk(request: tracking.GetMetricHistoryBulkRequest): Promise<tracking.GetMetricHistoryBulkResponse> {
    return this.metrics.bulk(request);
  }

  @GrpcMethod(SERVICE, 'getMetricHistoryBulkInterval')
  getMetricHistoryBulkInterval(
    request: tracking.GetMetricHistoryBulkIntervalRequest,
  ): Promise<tracking.GetMetricHistoryBulkIntervalResponse> {
    return this.metrics.bulkInterval(request);
  }
}
