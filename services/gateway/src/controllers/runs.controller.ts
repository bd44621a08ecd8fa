import { Body, Controller, Get, Headers, Header, HttpCode, Post, Query } from '@nestjs/common';
import { CairnError, tracking } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import {
  createRunBody,
  deleteTagBody,
  getRunQuery,
  JsonRun,
  jsonRun,
  logBatchRequest,
  logInputsBody,
  logMetricBody,
  logOutputsBody,
  logParamBody,
  runIdBody,
  runIdOf,
  searchRunsBody,
  setTagBody,
  toMetricMessage,
  updateRunBody,
} from '../dtos/runs.dto';
import { parseRequest } from '../http/request-parsing';
import { RENDERED_JSON_CONTENT_TYPE, renderedJson } from '../http/rendered-json';
import { MLFLOW_PREFIXES } from '../http/routes';

/** MLflow's size limit of a log-batch request body. */
const MAX_BATCH_LOG_REQUEST_BYTES = 1_000_000;

/**
 * Drops the parsed metrics from a request body once they are validated (the
 * validated copy goes on): Nest and Fastify keep the body until the answer,
 * and 1000 metric objects per in-flight log-batch were most of what every
 * scavenge of the gateway copied. The body's other fields (the run id the
 * audit log names) stay.
 */
function releaseMetrics(body: unknown): void {
  if (body !== null && typeof body === 'object' && 'metrics' in body) delete (body as { metrics?: unknown }).metrics;
}

/** Runs: create/get/update/delete/restore, logging, search. Metric values leave through jsonRun (NaN/Infinity). */
@Controller(MLFLOW_PREFIXES)
export class RunsController {
  constructor(private readonly tracking: TrackingClient) {}

  @Post('runs/create')
  @HttpCode(200)
  async create(@Body() body: unknown): Promise<{ run: JsonRun | undefined }> {
    const request = parseRequest(createRunBody, body ?? {});
    const { run } = await this.tracking.call('createRun', {
      experiment_id: request.experiment_id ?? '',
      user_id: request.user_id ?? '',
      run_name: request.run_name ?? '',
      start_time: request.start_time,
      tags: request.tags ?? [],
    });
    return { run: run && jsonRun(run) };
  }

  @Get('runs/get')
  async get(@Query() query: unknown): Promise<{ run: JsonRun | undefined }> {
    const request = parseRequest(getRunQuery, query);
    const { run } = await this.tracking.call('getRun', { run_id: runIdOf(request) });
    return { run: run && jsonRun(run) };
  }

  @Post('runs/update')
  @HttpCode(200)
  update(@Body() body: unknown): Promise<tracking.UpdateRunResponse> {
    const request = parseRequest(updateRunBody, body ?? {});
    return this.tracking.call('updateRun', {
      run_id: runIdOf(request),
      status: request.status ?? '',
      end_time: request.end_time,
      run_name: request.run_name ?? '',
    });
  }

  @Post('runs/delete')
  @HttpCode(200)
  delete(@Body() body: unknown): Promise<tracking.DeleteRunResponse> {
    return this.tracking.call('deleteRun', { run_id: runIdOf(parseRequest(runIdBody, body ?? {})) });
  }

  @Post('runs/restore')
  @HttpCode(200)
  restore(@Body() body: unknown): Promise<tracking.RestoreRunResponse> {
    return this.tracking.call('restoreRun', { run_id: runIdOf(parseRequest(runIdBody, body ?? {})) });
  }

  @Post('runs/log-metric')
  @HttpCode(200)
  logMetric(@Body() body: unknown): Promise<tracking.LogMetricResponse> {
    const request = parseRequest(logMetricBody, body ?? {});
    const metric = toMetricMessage(request);
    return this.tracking.call('logMetric', {
      run_id: runIdOf(request),
      key: metric.key,
      value: metric.value,
      timestamp: metric.timestamp,
      step: metric.step,
      model_id: metric.model_id,
      dataset_name: metric.dataset_name,
      dataset_digest: metric.dataset_digest,
    });
  }

  @Post('runs/log-parameter')
  @HttpCode(200)
  logParam(@Body() body: unknown): Promise<tracking.LogParamResponse> {
    const request = parseRequest(logParamBody, body ?? {});
    return this.tracking.call('logParam', { run_id: runIdOf(request), key: request.key, value: request.value });
  }

  @Post('runs/set-tag')
  @HttpCode(200)
  setTag(@Body() body: unknown): Promise<tracking.SetTagResponse> {
    const request = parseRequest(setTagBody, body ?? {});
    return this.tracking.call('setTag', { run_id: runIdOf(request), key: request.key, value: request.value });
  }

  @Post('runs/delete-tag')
  @HttpCode(200)
  deleteTag(@Body() body: unknown): Promise<tracking.DeleteTagResponse> {
    const request = parseRequest(deleteTagBody, body ?? {});
    return this.tracking.call('deleteTag', { run_id: runIdOf(request), key: request.key });
  }

  @Post('runs/log-batch')
  @HttpCode(200)
  logBatch(@Body() body: unknown, @Headers('content-length') contentLength?: string): Promise<tracking.LogBatchResponse> {
    const size = Number(contentLength ?? 0);
    if (size > MAX_BATCH_LOG_REQUEST_BYTES) {
      throw CairnError.invalidParameter(
        `Batched logging API requests must be at most ${MAX_BATCH_LOG_REQUEST_BYTES} bytes, got a request of size ${size}.`,
      );
    }
    const request = logBatchRequest(body ?? {});
    releaseMetrics(body);
    return this.tracking.call('logBatch', request);
  }

  @Post('runs/log-inputs')
  @HttpCode(200)
  logInputs(@Body() body: unknown): Promise<tracking.LogInputsResponse> {
    const request = parseRequest(logInputsBody, body ?? {});
    return this.tracking.call('logInputs', {
      run_id: runIdOf(request),
      datasets: (request.datasets ?? []).map((d) => ({ tags: d.tags ?? [], dataset: d.dataset })),
      models: request.models ?? [],
    });
  }

  @Post('runs/outputs')
  @HttpCode(200)
  logOutputs(@Body() body: unknown): Promise<tracking.LogOutputsResponse> {
    const request = parseRequest(logOutputsBody, body ?? {});
    return this.tracking.call('logOutputs', {
      run_id: runIdOf(request),
      models: request.models.map((m) => ({ model_id: m.model_id, step: m.step ?? 0 })),
    });
  }

  /** Sends the page's JSON as tracking rendered it (SearchRunsResponse.json). */
  @Post('runs/search')
  @HttpCode(200)
  @Header('content-type', RENDERED_JSON_CONTENT_TYPE)
  async search(@Body() body: unknown): Promise<Buffer> {
    const request = parseRequest(searchRunsBody, body ?? {});
    if (request.max_results !== undefined && request.max_results <= 0) {
      throw CairnError.invalidParameter(
        `Invalid value for max_results. It must be a positive integer, but got ${request.max_results}`,
      );
    }
    const response = await this.tracking.call('searchRuns', {
      experiment_ids: request.experiment_ids ?? [],
      filter: request.filter ?? '',
      run_view_type: request.run_view_type ?? '',
      max_results: request.max_results ?? 0,
      order_by: request.order_by ?? [],
      page_token: request.page_token ?? '',
    });
    return renderedJson(response.json);
  }
}
