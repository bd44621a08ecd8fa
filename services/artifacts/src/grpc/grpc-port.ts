/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Http2 from 'node:http2';

// The real module object (an `import * as` namespace would be a copy whose properties cannot be replaced).
const http2 = require('node:http2') as typeof Http2;

/** HTTP/2 receive window of the artifacts service's gRPC server, per stream and per connection. */
export const RECEIVE_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Runs `start` (which creates the gRPC server) with HTTP/2 servers created
 * meanwhile given a receive window of `bytes` instead of Node's 64 KiB.
 *
 * grpc-js has no server option for it, and with 64 KiB an upload stream
 * stops after every 64 KiB until the service's WINDOW_UPDATE reaches the
 * gateway: measured on 2 GiB uploads through the gateway, 4 MiB made them
 * 1.2-1.8x faster. Flow control still bounds memory, at this window per
 * stream. Only servers created while `start` runs are touched (services
 * start one after another, also in embedded mode).
 */
export async function withReceiveWindow<T>(bytes: number, start: () => Promise<T>): Promise<T> {
  const original = http2.createServer;
  const widened = ((options?: Http2.ServerOptions, listener?: (req: Http2.Http2ServerRequest, res: Http2.Http2ServerResponse) => void) => {
    const server = original({ ...options, settings: { ...options?.settings, initialWindowSize: bytes } }, listener);
    server.on('session', (session: Http2.ServerHttp2Session) => session.setLocalWindowSize(bytes));
    return server;
  }) as typeof http2.createServer;
  http2.createServer = widened;
  try {
    return await start();
  } finally {
    http2.createServer = original;
  }
}
