import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { RunsService } from '../services/runs.service';

const SERVICE = tracking.TRACKING_SERVICE_NAME;

@Controller()
export class RunsGrpc {
  constructor(private readonly runs: RunsService) {}

  @GrpcMethod(SERVICE, 'createRun')
  async createRun(request: tracking.CreateRunRequest): Promise<tracking.CreateRunResponse> {
    return { run: await this.runs.create(request) };
  }

  @GrpcMethod(SERVICE, 'getRun')
  async getRun(request: tracking.GetRunRequest): Promise<tracking.GetRunResponse> {
    return { run: await this.runs.get(request.run_id) };
  }

  @GrpcMethod(SERVICE, 'updateRun')
  async updateRun(request: tracking.UpdateRunRequest): Promise<tracking.UpdateRunResponse> {
    return { run_info: await this.runs.update(request) };
  }

  @GrpcMethod(SERVICE, 'deleteRun')
  async deleteRun(request: tracking.DeleteRunRequest): Promise<tracking.DeleteRunResponse> {
    await this.runs.delete(request.run_id);
    return {};
  }

  @GrpcMethod(SERVICE, 'restoreRun')
  async restoreRun(request: tracking.RestoreRunRequest): Promise<tracking.RestoreRunResponse> {
    await this.runs.restore(request.run_id);
    return {};
  }

  @GrpcMethod(SERVICE, 'logMetric')
  async logMetric(request: tracking.LogMetricRequest): Promise<tracking.LogMetricResponse> {
    await this.runs.logMetric(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'logParam')
  async logParam(request: tracking.LogParamRequest): Promise<tracking.LogParamResponse> {
    await this.runs.logParam(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'setTag')
  async setTag(request: tracking.SetTagRequest): Promise<tracking.SetTagResponse> {
    await this.runs.setTag(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'deleteTag')
  async deleteTag(request: tracking.DeleteTagRequest): Promise<tracking.DeleteTagResponse> {
    await this.runs.deleteTag(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'logBatch')
  async logBatch(request: tracking.LogBatchRequest): Promise<tracking.LogBatchResponse> {
    await this.runs.logBatch(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'logInputs')
  async logInputs(request: tracking.LogInputsRequest): Promise<tracking.LogInputsResponse> {
    await this.runs.logInputs(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'logOutputs')
  async logOutputs(request: tracking.LogOutputsRequest): Promise<tracking.LogOutputsResponse> {
    await this.runs.logOutputs(request);
    return {};
  }

  @GrpcMethod(SERVICE, 'searchRuns')
  searchRuns(request: tracking.SearchRunsRequest): Promise<tracking.SearchRunsResponse> {
    return this.runs.search(request);
  }

  @GrpcMethod(SERVICE, 'getRunArtifactRoot')
  getRunArtifactRoot(request: tracking.GetRunArtifactRootRequest): Promise<tracking.GetRunArtifactRootResponse> {
    return this.runs.artifactRoot(request.run_id);
  }
}
