import { Controller, Get, Query } from '@nestjs/common';
import { CairnError, tracking } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import {
  getMetricHistoryBulkIntervalQuery,
  getMetricHistoryBulkQuery,
  getMetricHistoryQuery,
  JsonMetric,
  jsonMetrics,
} from '../dtos/metrics.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/** Metric histories. Values leave through jsonMetrics: NaN/±Infinity as protobuf JSON strings. */
@Controller(MLFLOW_PREFIXES)
export class MetricsController {
  constructor(private readonly tracking: TrackingClient) {}

  @Get('metrics/get-history')
  async history(
    @Query() query: unknown,
  ): Promise<{ metrics: JsonMetric<tracking.Metric>[]; next_page_token?: string }> {
    const request = parseRequest(getMetricHistoryQuery, query);
    if (request.max_results !== undefined && request.max_results <= 0) {
      throw CairnError.invalidParameter(
        `Invalid value ${request.max_results} for parameter 'max_results' supplied. It must be a positive integer.`,
      );
    }
    const response = await this.tracking.call('getMetricHistory', {
      run_id: request.run_id || request.run_uuid || '',
      metric_key: request.metric_key,
      page_token: request.page_token ?? '',
      max_results: request.max_results ?? 0,
    });
    const metrics = jsonMetrics(response.metrics);
    return response.next_page_token ? { metrics, next_page_token: response.next_page_token } : { metrics };
  }

  /** MLflow serves this one under /ajax-api only; Cairn answers under both prefixes. */
  @Get('metrics/get-history-bulk')
  async historyBulk(@Query() query: unknown): Promise<{ metrics: JsonMetric<tracking.MetricWithRunId>[] }> {
    const request = parseRequest(getMetricHistoryBulkQuery, query);
    const response = await this.tracking.call('getMetricHistoryBulk', {
      run_ids: request.run_id,
      metric_key: request.metric_key ?? '',
      max_results: request.max_results ?? 0,
    });
    return { metrics: jsonMetrics(response.metrics) };
  }

  @Get('metrics/get-history-bulk-interval')
  async historyBulkInterval(@Query() query: unknown): Promise<{ metrics: JsonMetric<tracking.MetricWithRunId>[] }> {
    const request = parseRequest(getMetricHistoryBulkIntervalQuery, query);
    if (request.max_results !== undefined && (request.max_results < 1 || request.max_results > 2500)) {
      throw CairnError.invalidParameter('max_results must be between 1 and 2500.');
    }
    const response = await this.tracking.call('getMetricHistoryBulkInterval', {
      run_ids: request.run_ids,
      metric_key: request.metric_key,
      start_step: request.start_step,
      end_step: request.end_step,
      max_results: request.max_results ?? 0,
    });
    return { metrics: jsonMetrics(response.metrics) };
  }
}
