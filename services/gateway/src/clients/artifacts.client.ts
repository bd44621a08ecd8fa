import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { artifacts, CairnError, GRPC_PACKAGES, PROTO_LOADER_OPTIONS, PROTO_ROOT } from '@cairn/contracts';
import { chunkMessages, fromGrpcError, MAX_CHUNK_BYTES, outgoingMetadata } from '@cairn/grpc';
import { currentRequestId } from '@cairn/observability';

/**
 * The gateway's handle on the artifacts service: a plain grpc-js client
 * loaded from the same proto (Nest's client turns streams into Observables,
 * which have no backpressure). Uploads write with write()/'drain', downloads
 * are read by async iteration, so a slow side slows the other through HTTP/2
 * flow control and no file is ever held in memory.
 */

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** HTTP/2 receive window per stream (grpc-js defaults to 64 KiB): lets a download keep a few chunks in flight. */
const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;

interface RawClient extends grpc.Client {
  upload(metadata: grpc.Metadata, callback: Callback<artifacts.UploadResponse>): grpc.ClientWritableStream<artifacts.UploadRequest>;
  uploadPart(
    metadata: grpc.Metadata,
    callback: Callback<artifacts.UploadPartResponse>,
  ): grpc.ClientWritableStream<artifacts.UploadPartRequest>;
  download(request: artifacts.DownloadRequest, metadata: grpc.Metadata): grpc.ClientReadableStream<artifacts.DownloadResponse>;
}

type Service = artifacts.ArtifactsServiceClient;
type UnaryName = Exclude<keyof Service, 'upload' | 'uploadPart' | 'download'>;
type RequestOf<K extends UnaryName> = Parameters<Service[K]>[0];
type ResponseOf<K extends UnaryName> = ReturnType<Service[K]> extends import('rxjs').Observable<infer R> ? R : never;


export interface OpenDownload {
  header: artifacts.DownloadHeader;
  /** The file's bytes; destroying it cancels the call. */
  body: Readable;
}

@Injectable()
export class ArtifactsClient implements OnModuleInit, OnApplicationShutdown {
  private client!: RawClient;

  constructor(@Inject(CAIRN_CONFIG) private readonly config: CairnConfig) {}

  onModuleInit(): void {
    const definition = protoLoader.loadSync(
      GRPC_PACKAGES.artifacts.files.map((f) => path.join(PROTO_ROOT, f)),
      PROTO_LOADER_OPTIONS,
    );
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      cairn: { artifacts: { v1: { ArtifactsService: new (address: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions) => RawClient } } };
    };
    this.client = new loaded.cairn.artifacts.v1.ArtifactsService(this.config.grpcUrls.artifacts, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    });
  }

  onApplicationShutdown(): void {
    this.client?.close();
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

  /** Streams an HTTP body into a file; resolves once the service has committed it. */
  upload(header: artifacts.UploadHeader, body: Readable): Promise<artifacts.UploadResponse> {
    return this.send((m, cb) => this.client.upload(m, cb), header, body);
  }

  /** Streams one multipart part (backends that cannot presign). */
  uploadPart(header: artifacts.UploadPartHeader, body: Readable): Promise<artifacts.UploadPartResponse> {
    return this.send((m, cb) => this.client.uploadPart(m, cb), header, body);
  }

  /**
   * Opens a download: resolves with the header (size, served range) as soon
   * as the service sends it, and a stream of the bytes that follow.
   */
  async download(request: artifacts.DownloadRequest): Promise<OpenDownload> {
    const call = this.client.download(request, outgoingMetadata(currentRequestId()));
    const messages = (call as AsyncIterable<artifacts.DownloadResponse>)[Symbol.asyncIterator]();
    let first: IteratorResult<artifacts.DownloadResponse>;
    try {
      first = await messages.next();
    } catch (err) {
      throw fromGrpcError(err);
    }
    const header = first.done ? undefined : first.value.header;
    if (!header) {
      call.cancel();
      throw CairnError.internal('The artifacts service sent no download header');
    }
    let ended = false;
    async function* bytes(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          const next = await messages.next();
          if (next.done) break;
          yield next.value.chunk as Buffer;
        }
        ended = true;
      } catch (err) {
        throw fromGrpcError(err);
      } finally {
        if (!ended) call.cancel();
      }
    }
    return { header, body: ReadableStream.from(bytes(), { objectMode: false, highWaterMark: MAX_CHUNK_BYTES }) };
  }

  /**
   * A client-streaming call: header first, then the body in chunks, each
   * write waiting for 'drain' when grpc-js's buffer is full. If the service
   * answers early (an error), sending stops and the rest of the HTTP body is
   * read and dropped, so the client (which sends everything before reading)
   * still gets the error. If
   * the HTTP body fails (the client went away), the call is cancelled: the
   * service then commits nothing.
   */
  private send<H, R>(
    open: (metadata: grpc.Metadata, callback: Callback<R>) => grpc.ClientWritableStream<{ header?: H; chunk: Uint8Array }>,
    header: H,
    body: Readable,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      let wake: (() => void) | undefined;
      const call = open(outgoingMetadata(currentRequestId()), (err, value) => {
        if (settled) return;
        settled = true;
        wake?.();
        if (err) reject(fromGrpcError(err));
        else resolve(value as R);
      });
      const waitForDrain = (): Promise<void> =>
        new Promise((done) => {
          const finish = (): void => {
            call.off('drain', finish);
            call.off('error', finish);
            call.off('close', finish);
            wake = undefined;
            done();
          };
          wake = finish;
          call.on('drain', finish);
          call.on('error', finish);
          call.on('close', finish);
        });
      // grpc-js also reports the status through 'error'; the callback above is the one answer.
      call.on('error', () => undefined);
      const pump = async (): Promise<void> => {
        if (!call.write({ header, chunk: EMPTY })) await waitForDrain();
        for await (const chunk of chunkMessages(body as AsyncIterable<Buffer>)) {
          // Answered early (an error): read the rest of the body and drop it, so the answer reaches the client.
          if (settled) continue;
          if (!call.write({ chunk })) await waitForDrain();
        }
        if (!settled) call.end();
      };
      pump().catch((err: unknown) => {
        call.cancel();
        if (settled) return;
        settled = true;
        reject(err instanceof CairnError ? err : new CairnError('ABORTED', `The upload was interrupted: ${(err as Error).message}`));
      });
    });
  }
}
