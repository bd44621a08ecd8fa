import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientGrpcProxy } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { tracking } from '@cairn/contracts';
import { unary } from './grpc-call';

export const TRACKING_GRPC = Symbol('TRACKING_GRPC');

type Client = tracking.TrackingServiceClient;
type RequestOf<K extends keyof Client> = Parameters<Client[K]>[0];
type ResponseOf<K extends keyof Client> = ReturnType<Client[K]> extends Observable<infer R> ? R : never;

/** The gateway's handle on the tracking service: one typed unary call for every RPC. */
@Injectable()
export class TrackingClient implements OnModuleInit, OnApplicationShutdown {
  private service!: Client;

  constructor(@Inject(TRACKING_GRPC) private readonly grpc: ClientGrpcProxy) {}

  onModuleInit(): void {
    this.service = this.grpc.getService<Client>(tracking.TRACKING_SERVICE_NAME);
  }

  onApplicationShutdown(): void {
    this.grpc.close();
  }

  call<K extends keyof Client>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const fn = this.service[method] as unknown as (
      req: RequestOf<K>,
      metadata: Metadata | undefined,
    ) => Observable<ResponseOf<K>>;
    return unary((r, m) => fn.call(this.service, r, m), request);
  }
}
