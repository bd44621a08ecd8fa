import * as path from 'node:path';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { GRPC_PACKAGES, HEALTH_PACKAGE, PROTO_ROOT } from '@cairn/contracts';
import { clientPackageDefinition, serverPackageDefinition } from './grpc-codecs';

export type GrpcServiceName = keyof typeof GRPC_PACKAGES;

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Channel options of every server and client built here. Channelz (grpc-js's
 * introspection registry, on by default) counts and timestamps every call on
 * both ends; nothing of Cairn reads it. The flow-control window (a client's:
 * how much of a response the server may send before the client acknowledges)
 * is HTTP/2's 64 KiB by default, so a 269 KB search page stalled three times
 * on the way to the gateway, each stall a WINDOW_UPDATE from the gateway's
 * event loop; 16 MiB covers every response but the largest artifact listings.
 */
export const GRPC_CHANNEL_OPTIONS = { 'grpc.enable_channelz': 0, 'grpc-node.flow_control_window': 16 * 1024 * 1024 } as const;

/** Options of a service's gRPC server: its own package plus the standard health service (responses: grpc-codecs.ts). */
export function grpcServerOptions(service: GrpcServiceName, url: string): GrpcOptions {
  const own = GRPC_PACKAGES[service];
  return {
    transport: Transport.GRPC,
    options: {
      url,
      package: [...own.packages, ...HEALTH_PACKAGE.packages],
      packageDefinition: serverPackageDefinition([...own.files, ...HEALTH_PACKAGE.files].map((f) => path.join(PROTO_ROOT, f))),
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
      channelOptions: { ...GRPC_CHANNEL_OPTIONS },
    },
  };
}

/** Options of a client of a service's gRPC package (responses arrive as ReceivedMessage: grpc-codecs.ts). */
export function grpcClientOptions(service: GrpcServiceName, url: string): GrpcOptions {
  const own = GRPC_PACKAGES[service];
  return {
    transport: Transport.GRPC,
    options: {
      url,
      package: [...own.packages],
      packageDefinition: clientPackageDefinition(own.files.map((f) => path.join(PROTO_ROOT, f))),
      maxReceiveMessageLength: MAX_MESSAGE_BYTES,
      maxSendMessageLength: MAX_MESSAGE_BYTES,
      keepalive: { keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 10_000 },
      channelOptions: { ...GRPC_CHANNEL_OPTIONS },
    },
  };
}
