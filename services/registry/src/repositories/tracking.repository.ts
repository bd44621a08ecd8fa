import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientGrpcProxy } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { callPeer } from './grpc-call';

export const TRACKING_GRPC = Symbol('REGISTRY_TRACKING_GRPC');

/**
 * The registry's reads and writes of tracking entities (runs, logged models),
 * over tracking's gRPC API. Never called inside a database transaction: in
 * embedded mode both services share one PGlite connection.
 */
@Injectable()
export class TrackingRepository implements OnModuleInit, OnApplicationShutdown {
  private service!: tracking.TrackingServiceClient;

  constructor(@Inject(TRACKING_GRPC) private readonly grpc: ClientGrpcProxy) {}

  onModuleInit(): void {
    this.service = this.grpc.getService<tracking.TrackingServiceClient>(tracking.TRACKING_SERVICE_NAME);
  }

  onApplicationShutdown(): void {
    this.grpc.close();
  }

  /** The run, or null when tracking has no such run. */
  async getRun(runId: string): Promise<tracking.Run | null> {
    try {
      const res = await callPeer((r, m) => this.service.getRun(r, m), { run_id: runId });
      return res.run ?? null;
    } catch (err) {
      if ((err as { code?: string }).code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  /** The logged model, or null when tracking has no such model. */
  async getLoggedModel(modelId: string): Promise<tracking.LoggedModel | null> {
    try {
      const res = await callPeer((r, m) => this.service.getLoggedModel(r, m), { model_id: modelId });
      return res.model ?? null;
    } catch (err) {
      if ((err as { code?: string }).code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async setLoggedModelTags(modelId: string, tags: { key: string; value: string }[]): Promise<void> {
    await callPeer((r, m) => this.service.setLoggedModelTags(r, m), { model_id: modelId, tags });
  }
}
