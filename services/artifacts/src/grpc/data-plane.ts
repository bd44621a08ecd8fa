import * as http from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { artifacts, CairnError } from '@cairn/contracts';
import {
  DATA_PLANE_FILES,
  DATA_PLANE_PARTS,
  ERROR_CODE_HEADER,
  FILE_SIZE_HEADER,
  keyFromDataPlanePath,
  LENGTH_HEADER,
  OFFSET_HEADER,
  PARTIAL_HEADER,
  pipeBytes,
} from '@cairn/grpc';
import { LOGGER, Logger, REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '@cairn/observability';
import { ArtifactsService } from '../services/artifacts.service';

/** Kept-alive data plane connections close after this long idle (the gateway drops its own sooner). */
const KEEP_ALIVE_MS = 65_000;

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * The HTTP/1.1 server of the artifact data plane
 * (@cairn/grpc artifact-data-plane.ts). It never listens: grpc-port.ts hands
 * it the connections of the gRPC address that speak HTTP/1.1. Created before
 * the Nest application so the port can route to it from the start; until
 * the handler is attached requests answer 503.
 */
export class DataPlaneServer {
  private readonly server: http.Server;
  private handler: Handler | null = null;
  private readonly sockets = new Map<Socket, number>();
  private closing = false;
  private drained: (() => void) | null = null;

  constructor() {
    this.server = http.createServer({ requestTimeout: 0, noDelay: true }, (req, res) => this.dispatch(req, res));
    this.server.keepAliveTimeout = KEEP_ALIVE_MS;
  }

  /** A connection from the gRPC port. */
  accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.set(socket, 0);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.checkDrained();
    });
    this.server.emit('connection', socket);
  }

  attach(handler: Handler): void {
    this.handler = handler;
  }

  /** Refuses new requests, closes idle connections and waits for the transfers under way. */
  async close(): Promise<void> {
    this.closing = true;
    for (const [socket, busy] of this.sockets) if (busy === 0) socket.destroy();
    if (this.sockets.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    this.sockets.set(socket, (this.sockets.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const busy = (this.sockets.get(socket) ?? 1) - 1;
      if (this.sockets.has(socket)) this.sockets.set(socket, busy);
      if (this.closing && busy === 0) socket.destroy();
    });
    if (this.closing || this.handler === null) {
      const error = new CairnError('TEMPORARILY_UNAVAILABLE', this.closing ? 'The artifacts service is stopping' : 'The artifacts service is starting');
      res.writeHead(error.httpStatus, { 'content-type': 'application/json', connection: 'close', [ERROR_CODE_HEADER]: error.code });
      res.end(JSON.stringify(error.toJSON()));
      return;
    }
    this.handler(req, res);
  }

  private checkDrained(): void {
    if (this.closing && this.sockets.size === 0) this.drained?.();
  }
}

export const DATA_PLANE_SERVER = Symbol('DATA_PLANE_SERVER');

function optionalInt(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw CairnError.invalidParameter(`Invalid ${name} '${value}'`);
  return n;
}

/** The byte range a download asks for, from its query (start[/end] or suffix_length). */
function rangeOf(query: URLSearchParams): artifacts.ByteRange | undefined {
  const start = optionalInt(query.get('start'), 'start');
  const end = optionalInt(query.get('end'), 'end');
  const suffix = optionalInt(query.get('suffix_length'), 'suffix_length');
  if (start === undefined && end === undefined && suffix === undefined) return undefined;
  return { start, end, suffix_length: suffix };
}

function declaredLength(req: http.IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  return raw === undefined ? undefined : Number(raw); // Node's parser has checked it
}

/**
 * The data plane's requests (thin, like the gRPC handlers): download (GET,
 * HEAD), upload and multipart parts (PUT), answered from ArtifactsService.
 * Download bytes go out with pipeBytes, or, on a store with presigned URLs
 * (S3), as a 307 to a presigned GET that the caller sends itself.
 */
@Injectable()
export class DataPlaneHandler implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DATA_PLANE_SERVER) private readonly server: DataPlaneServer,
    private readonly artifacts: ArtifactsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.server.attach((req, res) => void this.handle(req, res));
  }

  onApplicationShutdown(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    await runWithRequestId(requestId, async () => {
      try {
        // The raw target, not new URL(): dot segments must reach the key checks, not be resolved away.
        const raw = req.url ?? '/';
        const q = raw.indexOf('?');
        const url = { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
        const fileKey = keyFromDataPlanePath(DATA_PLANE_FILES, url.pathname);
        const partKey = keyFromDataPlanePath(DATA_PLANE_PARTS, url.pathname);
        if (fileKey !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
          await this.download(fileKey, url.searchParams, req.method === 'HEAD', res);
        } else if (fileKey !== undefined && req.method === 'PUT') {
          const answer = await this.artifacts.upload(
            { path: fileKey, content_length: declaredLength(req), content_type: req.headers['content-type'] ?? '' },
            req,
          );
          this.json(res, answer);
        } else if (partKey !== undefined && req.method === 'PUT') {
          const answer = await this.artifacts.uploadPart(
            {
              path: partKey,
              upload_id: url.searchParams.get('upload_id') ?? '',
              part_number: optionalInt(url.searchParams.get('part_number'), 'part_number') ?? 0,
              content_length: declaredLength(req),
            },
            req,
          );
          this.json(res, answer);
        } else {
          throw new CairnError('ENDPOINT_NOT_FOUND', `No data plane route for ${req.method} ${url.pathname}`);
        }
      } catch (err) {
        this.fail(req, res, err);
      }
    });
  }

  private async download(key: string, query: URLSearchParams, headOnly: boolean, res: http.ServerResponse): Promise<void> {
    const { header, bytes } = await this.artifacts.openDownload({ path: key, range: rangeOf(query) }, !headOnly);
    const sizes = { [FILE_SIZE_HEADER]: String(header.file_size), [OFFSET_HEADER]: String(header.offset) };
    if (!header.range_satisfiable) {
      res.writeHead(416, { ...sizes, 'content-length': '0' }).end();
      return;
    }
    if (bytes !== null && 'url' in bytes) {
      // The caller reads them from the store itself (artifact-data-plane.ts).
      res
        .writeHead(307, {
          ...sizes,
          location: bytes.url,
          [LENGTH_HEADER]: String(header.length),
          [PARTIAL_HEADER]: header.partial ? '1' : '0',
          'content-length': '0',
        })
        .end();
      return;
    }
    res.writeHead(header.partial ? 206 : 200, { ...sizes, 'content-length': String(header.length) });
    if (bytes === null) {
      res.end();
      return;
    }
    try {
      await pipeBytes(bytes.stream, res);
    } catch (err) {
      // Headers are out: the receiver can only learn of the failure by the connection closing short.
      if (!res.destroyed) this.logger.warn({ err: err instanceof Error ? err.message : String(err), key }, 'artifact download cut short');
      res.destroy();
      return;
    }
    res.end();
  }

  private json(res: http.ServerResponse, value: unknown): void {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
  }

  private fail(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    if (!(err instanceof CairnError)) this.logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'artifact data plane request failed');
    const error = err instanceof CairnError ? err : CairnError.internal('Internal error');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify(error.toJSON());
    res.writeHead(error.httpStatus, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      [ERROR_CODE_HEADER]: error.code,
      // A request body not read to its end cannot be followed by another request.
      ...(req.complete ? {} : { connection: 'close' }),
    });
    res.end(body);
  }
}
