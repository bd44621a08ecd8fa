import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { artifacts, CairnError, GRPC_PACKAGES, isErrorCode, PROTO_LOADER_OPTIONS, PROTO_ROOT } from '@cairn/contracts';
import {
  DATA_PLANE_FILES,
  DATA_PLANE_PARTS,
  dataPlanePath,
  endpointOf,
  ERROR_CODE_HEADER,
  FILE_SIZE_HEADER,
  fromGrpcError,
  GRPC_CHANNEL_OPTIONS,
  Http1Client,
  Http1Request,
  Http1Response,
  LENGTH_HEADER,
  OFFSET_HEADER,
  outgoingMetadata,
  PARTIAL_HEADER,
} from '@cairn/grpc';
import { currentRequestId, REQUEST_ID_HEADER } from '@cairn/observability';

/**
 * The gateway's handle on the artifacts service: unary RPCs over gRPC, and
 * artifact bytes over the service's HTTP/1.1 data plane on the same address
 * (@cairn/grpc artifact-data-plane.ts). gRPC byte streams cost several
 * copies per byte (protobuf framing, HTTP/2 frames, message reassembly); the
 * data plane carries bytes as they are, and its responses are read into
 * reused buffers that pipe straight on to the client, so a download costs
 * this process a read and a write per MiB. On a store with presigned URLs
 * (S3) the service answers a download with a short-lived presigned GET
 * instead (it still resolves, confines and checks the file), and the bytes
 * come from the store straight into this process: one hop instead of two.
 * Both directions keep backpressure end to end: a slow side slows the other
 * and no file is ever held in memory.
 */

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Kept-alive data plane connections (the service keeps them 65 s). */
const DATA_PLANE_IDLE_MS = 30_000;
const DATA_PLANE_MAX_IDLE = 16;
/** Kept-alive connections to the artifact store (downloads by presigned URL); S3 servers close idle ones after a few seconds. */
const STORE_IDLE_MS = 4_000;
const STORE_MAX_IDLE = 16;

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;

type Service = artifacts.ArtifactsServiceClient;
type UnaryName = Exclude<keyof Service, 'upload' | 'uploadPart' | 'download'>;
type RequestOf<K extends UnaryName> = Parameters<Service[K]>[0];
type ResponseOf<K extends UnaryName> = ReturnType<Service[K]> extends import('rxjs').Observable<infer R> ? R : never;

export interface OpenDownload {
  header: artifacts.DownloadHeader;
  /** The file's bytes: pipeTo() them to the client, or destroy() to cancel. */
  body: Http1Response;
}

/** A data plane answer that is not a success, as the domain error it carries. */
async function errorOf(res: Http1Response): Promise<CairnError> {
  const text = await res.text().catch(() => '');
  let parsed: { error_code?: unknown; message?: unknown } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON: fall back on the status
  }
  const code = res.headers[ERROR_CODE_HEADER] ?? parsed.error_code;
  const message = typeof parsed.message === 'string' ? parsed.message : `The artifacts service answered ${res.status}`;
  if (isErrorCode(code)) return new CairnError(code, message);
  return res.status === 404 ? CairnError.notFound(message) : CairnError.internal(message);
}

/** The store's refusal of a presigned download, as a domain error (S3 answers errors as XML with a <Code>). */
async function storeErrorOf(res: Http1Response, key: string): Promise<CairnError> {
  const text = await res.text().catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  if (res.status === 404) return CairnError.notFound(`No such artifact: '${key}'`);
  return CairnError.internal(`The artifact store answered the download of '${key}' with ${res.status}${code ? ` ${code}` : ''}`);
}

/** A header of a data plane answer as a non-negative safe integer, or undefined. */
function sizeHeader(res: Http1Response, name: string): number | undefined {
  const raw = res.headers[name];
  const n = raw === undefined || !/^\d+$/.test(raw) ? NaN : Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}

function rangeQuery(range: artifacts.ByteRange | undefined | null): string {
  if (!range) return '';
  const params = new URLSearchParams();
  if (range.start !== undefined && range.start !== null) params.set('start', String(range.start));
  if (range.end !== undefined && range.end !== null) params.set('end', String(range.end));
  if (range.suffix_length !== undefined && range.suffix_length !== null) params.set('suffix_length', String(range.suffix_length));
  const query = params.toString();
  return query ? `?${query}` : '';
}

@Injectable()
export class ArtifactsClient implements OnModuleInit, OnApplicationShutdown {
  private client!: grpc.Client;
  private data!: Http1Client;
  /** Connections to the artifact store, by origin (the one S3 endpoint the artifacts service signs for). */
  private readonly stores = new Map<string, Http1Client>();

  constructor(@Inject(CAIRN_CONFIG) private readonly config: CairnConfig) {}

  onModuleInit(): void {
    const definition = protoLoader.loadSync(
      GRPC_PACKAGES.artifacts.files.map((f) => path.join(PROTO_ROOT, f)),
      PROTO_LOADER_OPTIONS,
    );
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      cairn: { artifacts: { v1: { ArtifactsService: new (address: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions) => grpc.Client } } };
    };
    this.client = new loaded.cairn.artifacts.v1.ArtifactsService(this.config.grpcUrls.artifacts, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      ...GRPC_CHANNEL_OPTIONS,
    });
    this.data = new Http1Client(endpointOf(this.config.grpcUrls.artifacts), { maxIdle: DATA_PLANE_MAX_IDLE, idleMs: DATA_PLANE_IDLE_MS });
  }

  onApplicationShutdown(): void {
    this.client?.close();
    this.data?.close();
    for (const store of this.stores.values()) store.close();
  }

  /** A unary RPC; failures come back as domain errors. */
  call<K extends UnaryName>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    const fn = (this.client as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: Callback<ResponseOf<K>>) => void>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.client, request, outgoingMetadata(currentRequestId()), (err, value) =>
        err ? reject(fromGrpcError(err)) : resolve(value as ResponseOf<K>),
      );
    });
  }

  /**
   * Opens a download (`headOnly`: just its header): resolves with the size
   * and the range served as soon as the bytes are on their way, and the
   * bytes to pipe on: from the data plane, or, when the service answers with
   * a presigned URL (S3), from the store itself. An error answer (missing
   * file, directory, ...) rejects.
   */
  async download(request: artifacts.DownloadRequest, headOnly = false): Promise<OpenDownload> {
    const res = await this.exchange({
      method: headOnly ? 'HEAD' : 'GET',
      target: dataPlanePath(DATA_PLANE_FILES, request.path) + rangeQuery(request.range),
    });
    if (res.status === 307 && !headOnly) return this.downloadFromStore(request.path, res);
    if (res.status !== 200 && res.status !== 206 && res.status !== 416) throw await errorOf(res);
    const fileSize = sizeHeader(res, FILE_SIZE_HEADER);
    const offset = sizeHeader(res, OFFSET_HEADER);
    if (fileSize === undefined || offset === undefined || (res.status !== 416 && res.length === undefined)) {
      res.destroy();
      throw CairnError.internal('The artifacts service answered a download without its sizes');
    }
    const header: artifacts.DownloadHeader = {
      file_size: fileSize,
      offset,
      length: res.status === 416 ? 0 : res.length!,
      partial: res.status === 206,
      range_satisfiable: res.status !== 416,
    };
    return { header, body: res };
  }

  /**
   * The bytes the artifacts service has checked and signed for (its 307):
   * GET the presigned URL with the range to serve, and check the store
   * answers exactly those bytes.
   */
  private async downloadFromStore(key: string, redirect: Http1Response): Promise<OpenDownload> {
    await redirect.text(); // (no body: the connection goes back to the pool)
    const fileSize = sizeHeader(redirect, FILE_SIZE_HEADER);
    const offset = sizeHeader(redirect, OFFSET_HEADER);
    const length = sizeHeader(redirect, LENGTH_HEADER);
    let url: URL | undefined;
    try {
      url = new URL(redirect.headers.location ?? '');
    } catch {
      // reported below
    }
    if (fileSize === undefined || offset === undefined || !length || (url?.protocol !== 'http:' && url?.protocol !== 'https:')) {
      throw CairnError.internal('The artifacts service answered a download with an invalid redirect');
    }
    let res: Http1Response;
    try {
      res = await this.store(url).request({
        method: 'GET',
        target: `${url.pathname}${url.search}`,
        // url.host leaves out a default port, as the signature's host does.
        headers: { host: url.host, range: `bytes=${offset}-${offset + length - 1}` },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CairnError('TEMPORARILY_UNAVAILABLE', `The artifact store is unreachable${code ? ` (${code})` : ''}: ${(err as Error).message}`);
    }
    if (res.status !== 206 && res.status !== 200) throw await storeErrorOf(res, key);
    if (res.length !== length || (res.status === 200 && offset !== 0)) {
      res.destroy();
      throw CairnError.internal(`The artifact store answered ${res.length ?? 'an unknown number of'} bytes of '${key}', not the ${length} signed for`);
    }
    const header: artifacts.DownloadHeader = {
      file_size: fileSize,
      offset,
      length,
      partial: redirect.headers[PARTIAL_HEADER] === '1',
      range_satisfiable: true,
    };
    return { header, body: res };
  }

  /** The kept-alive connections to a store's origin. */
  private store(url: URL): Http1Client {
    let client = this.stores.get(url.origin);
    if (client === undefined) {
      const tls = url.protocol === 'https:';
      client = new Http1Client(
        { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : tls ? 443 : 80, tls },
        { maxIdle: STORE_MAX_IDLE, idleMs: STORE_IDLE_MS },
      );
      this.stores.set(url.origin, client);
    }
    return client;
  }

  /** Streams an HTTP body into a file; resolves once the service has committed it. */
  async upload(header: artifacts.UploadHeader, body: Readable): Promise<artifacts.UploadResponse> {
    const headers: Record<string, string> = header.content_type ? { 'content-type': header.content_type } : {};
    return this.sendBody<artifacts.UploadResponse>(
      { method: 'PUT', target: dataPlanePath(DATA_PLANE_FILES, header.path), headers },
      body,
      header.content_length ?? undefined,
    );
  }

  /** Streams one multipart part (backends that cannot presign). */
  async uploadPart(header: artifacts.UploadPartHeader, body: Readable): Promise<artifacts.UploadPartResponse> {
    const query = new URLSearchParams({ upload_id: header.upload_id, part_number: String(header.part_number) });
    return this.sendBody<artifacts.UploadPartResponse>(
      { method: 'PUT', target: `${dataPlanePath(DATA_PLANE_PARTS, header.path)}?${query.toString()}` },
      body,
      header.content_length ?? undefined,
    );
  }

  /**
   * A PUT whose body is the client's request body. If the service answers
   * before the body is all sent (an error), the rest of it is read and
   * dropped, so the answer still reaches a client that sends everything
   * before it reads. If the client's body fails (it went away), the
   * connection to the service is dropped mid-body: the service stores
   * nothing.
   */
  private async sendBody<T>(request: Omit<Http1Request, 'body'>, body: Readable, length: number | undefined): Promise<T> {
    let res: Http1Response;
    try {
      res = await this.exchange({ ...request, body: { source: body, length } });
    } catch (err) {
      if (err instanceof CairnError && err.code !== 'TEMPORARILY_UNAVAILABLE') throw err;
      if (body.destroyed || body.errored || (body as { aborted?: boolean }).aborted) {
        throw new CairnError('ABORTED', `The upload was interrupted: ${(err as Error).message}`);
      }
      throw err;
    }
    if (!res.requestComplete) body.resume();
    if (res.status !== 200) throw await errorOf(res);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw CairnError.internal('The artifacts service answered an upload with something other than JSON');
    }
  }

  /** One data plane request with the caller's request id; an unreachable service is TEMPORARILY_UNAVAILABLE. */
  private async exchange(request: Http1Request): Promise<Http1Response> {
    const requestId = currentRequestId();
    const headers = { ...request.headers, ...(requestId !== undefined ? { [REQUEST_ID_HEADER]: requestId } : {}) };
    try {
      return await this.data.request({ ...request, headers });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CairnError(
        'TEMPORARILY_UNAVAILABLE',
        `The artifacts service is unreachable${code ? ` (${code})` : ''}: ${(err as Error).message}`,
      );
    }
  }
}
