/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Http2 from 'node:http2';
import type { Socket } from 'node:net';

// The real module object (an `import * as` namespace would be a copy whose properties cannot be replaced).
const http2 = require('node:http2') as typeof Http2;

/** Every HTTP/2 connection opens with this (RFC 9113 §3.4); an HTTP/1.1 request never does. */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');
const SNIFF_BYTES = 4;

export interface GrpcPortOptions {
  /** Takes the connections that speak HTTP/1.1 (the data plane, @cairn/grpc artifact-data-plane.ts). */
  http1: (socket: Socket) => void;
}

/**
 * Runs `start` (which creates the gRPC server) with the HTTP/2 servers
 * created meanwhile routing their connections: those whose first bytes are
 * not the HTTP/2 preface go to `http1` (the artifact data plane), so the
 * service's one address serves both; gRPC connections are handed to the
 * HTTP/2 server with the bytes already read put back first (Node's HTTP/2
 * session reads them). grpc-js has no hook for this, hence the wrapped
 * http2.createServer.
 *
 * Only servers created while `start` runs are touched (services start one
 * after another, also in embedded mode).
 */
export async function withGrpcPort<T>(options: GrpcPortOptions, start: () => Promise<T>): Promise<T> {
  const original = http2.createServer;
  const adjusted = ((serverOptions?: Http2.ServerOptions, listener?: (req: Http2.Http2ServerRequest, res: Http2.Http2ServerResponse) => void) => {
    const server = original(serverOptions ?? {}, listener);
    splitConnections(server, options.http1);
    return server;
  }) as typeof http2.createServer;
  http2.createServer = adjusted;
  try {
    return await start();
  } finally {
    http2.createServer = original;
  }
}

/** Routes each new connection of `server` by its first bytes: HTTP/2 stays, anything else goes to `http1`. */
function splitConnections(server: Http2.Http2Server, http1: (socket: Socket) => void): void {
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event !== 'connection') return emit(event, ...args);
    const socket = args[0] as Socket;
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, SNIFF_BYTES);
      const maybeHttp2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (maybeHttp2 && seen.length < SNIFF_BYTES) return;
      socket.off('data', onData);
      socket.off('error', onError);
      socket.pause();
      socket.unshift(seen);
      if (maybeHttp2) emit('connection', socket);
      else {
        http1(socket);
        socket.resume();
      }
    };
    const onError = (): void => {
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', onError);
    return true;
  }) as typeof server.emit;
}
