import { createParamDecorator, ExecutionContext, Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ClientGrpcProxy } from '@nestjs/microservices';
import type { FastifyRequest } from 'fastify';
import { registry } from '@cairn/contracts';
import { callUnary, RequestOf, ResponseOf } from './grpc-call';

export const REGISTRY_GRPC = Symbol('REGISTRY_GRPC');

/** gRPC metadata key naming who a registry call acts for. */
export const ACTOR_METADATA_KEY = 'x-cairn-actor';
/** Set when that actor is an administrator (may edit or delete anyone's comment). */
export const ACTOR_ADMIN_METADATA_KEY = 'x-cairn-actor-admin';
/** Until authentication exists, the caller names itself with this header. */
export const USER_HEADER = 'x-cairn-user';
export const ANONYMOUS = 'anonymous';

/**
 * The actor of an HTTP request: the `X-Cairn-User` header, else "anonymous".
 * (The security issue replaces this with the authenticated user.)
 */
export function actorFromRequest(request: Pick<FastifyRequest, 'headers'>): string {
  const raw = request.headers[USER_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value.slice(0, 256) : ANONYMOUS;
}

/** Controller parameter: the actor the request acts for. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  actorFromRequest(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

type Client = registry.RegistryServiceClient;

/** The gateway's handle on the registry service: one typed unary call per RPC, carrying the actor. */
@Injectable()
export class RegistryClient implements OnModuleInit, OnApplicationShutdown {
  private service!: Client;

  constructor(@Inject(REGISTRY_GRPC) private readonly grpc: ClientGrpcProxy) {}

  onModuleInit(): void {
    this.service = this.grpc.getService<Client>(registry.REGISTRY_SERVICE_NAME);
  }

  onApplicationShutdown(): void {
    this.grpc.close();
  }

  call<K extends keyof Client>(
    method: K,
    request: RequestOf<Client, K>,
    actor: string = ANONYMOUS,
    options: { admin?: boolean } = {},
  ): Promise<ResponseOf<Client, K>> {
    // Metadata values are ASCII: the actor travels percent-encoded.
    const extra: Record<string, string> = { [ACTOR_METADATA_KEY]: encodeURIComponent(actor) };
    if (options.admin) extra[ACTOR_ADMIN_METADATA_KEY] = 'true';
    return callUnary(this.service, method, request, extra);
  }
}
