import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientGrpcProxy } from '@nestjs/microservices';
import { artifacts, CairnError } from '@cairn/contracts';
import { callPeer } from './grpc-call';

export const ARTIFACTS_GRPC = Symbol('REGISTRY_ARTIFACTS_GRPC');

export type ListingOutcome =
  | { kind: 'listed'; files: artifacts.FileInfo[] }
  /** The artifacts service does not list yet (UNIMPLEMENTED). */
  | { kind: 'unsupported' }
  /** It could not answer now (down, overloaded, timed out): try again later. */
  | { kind: 'unavailable'; reason: string };

/** The registry's view of the artifact store: listings through the artifacts service's gRPC API. */
@Injectable()
export class ArtifactsRepository implements OnModuleInit, OnApplicationShutdown {
  private service!: artifacts.ArtifactsServiceClient;

  constructor(@Inject(ARTIFACTS_GRPC) private readonly grpc: ClientGrpcProxy) {}

  onModuleInit(): void {
    this.service = this.grpc.getService<artifacts.ArtifactsServiceClient>(artifacts.ARTIFACTS_SERVICE_NAME);
  }

  onApplicationShutdown(): void {
    this.grpc.close();
  }

  /** Direct children of a store path (relative to the store root, as `mlflow-artifacts:/<path>` names it). */
  async list(path: string): Promise<ListingOutcome> {
    try {
      const res = await callPeer((r, m) => this.service.listArtifacts(r, m), { path });
      return { kind: 'listed', files: res.files ?? [] };
    } catch (err) {
      const code = err instanceof CairnError ? err.code : undefined;
      if (code === 'NOT_IMPLEMENTED' || code === 'ENDPOINT_NOT_FOUND') return { kind: 'unsupported' };
      if (code === 'TEMPORARILY_UNAVAILABLE' || code === 'DEADLINE_EXCEEDED' || code === 'INTERNAL_ERROR') {
        return { kind: 'unavailable', reason: (err as Error).message };
      }
      throw err;
    }
  }
}
