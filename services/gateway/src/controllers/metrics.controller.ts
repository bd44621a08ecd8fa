import { Controller, Get, Header, Query } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import {
  getMetricHistoryBulkIntervalQuery,
  getMetricHistoryBulkQuery,
  getMetricHistoryQuery,
} from '../dtos/metrics.dto';
import { parseRequest } from '../http/request-parsing';
import { RENDERED_JSON_CONTENT_TYPE, renderedJson } from '../http/rendered-json';
import { MLFLOW_PREFIXES } from '../http/routes';

/** Metric histories, sent as the JSON tracking rendered (NaN/±Infinity as protobuf JSON strings). */
@Controller(MLFLOW_PREFIXES)
export class MetricsController {
  constructor(private readonly tracking: TrackingClient) {}

  /** Each history endpoint sends the JSON tracking rendered (the response's `json`). */
  @Get('metrics/get-history')
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async history(@Query() query: unknown): Promise<Buffer> {
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
    return renderedJson(response.json);
  }

  /** MLflow serves this one under /ajax-api only; Cairn answers under both prefixes. */
  @Get('metrics/get-history-bulk')
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async historyBulk(@Query() query: unknown): Promise<Buffer> {
    const request = parseRequest(getMetricHistoryBulkQuery, query);
    const response = await this.tracking.call('getMetricHistoryBulk', {
      run_ids: request.run_id,
      metric_key: request.metric_key ?? '',
      max_results: request.max_results ?? 0,
    });
    return renderedJson(response.json);
  }

  @Get('metrics/get-history-bulk-interval')
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async historyBulkInterval(@Query() query: unknown): Promise<Buffer> {
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
    return renderedJson(response.json);
  }
}
