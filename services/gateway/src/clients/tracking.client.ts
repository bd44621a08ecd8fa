import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientGrpcProxy } from '@nestjs/microservices';
import { tracking } from '@cairn/contracts';
import { callUnary, RequestOf, ResponseOf } from './grpc-call';

export const TRACKING_GRPC = Symbol('TRACKING_GRPC');

type Client = tracking.TrackingServiceClient;

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

  call<K extends keyof Client>(method: K, request: RequestOf<Client, K>): Promise<ResponseOf<Client, K>> {
    return callUnary(this.service, method, request);
  }
}
