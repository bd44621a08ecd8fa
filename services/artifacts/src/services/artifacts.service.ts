import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { artifacts, CairnError } from '@cairn/contracts';
import { ARTIFACT_STORE, ArtifactStore, FileBytes } from '../repositories/artifact-store.repository';
import { normalizeKey } from './artifact-key';

/** S3's part-number range (the filesystem store keeps to it too). */
export const MAX_PARTS = 10_000;
const DEFAULT_PART_URL_SECONDS = 3600;
const DEFAULT_PRESIGN_SECONDS = 300;
const MAX_PRESIGN_SECONDS = 604_800;
/** Bytes of an upload body buffered between the transport and the store. */
const BODY_BUFFER_BYTES = 1024 * 1024;

/** The bytes to serve for a (possibly absent) HTTP range of a file of `size` bytes. */
export function resolveRange(size: number, range: artifacts.ByteRange | undefined | null): artifacts.DownloadHeader {
  const whole = { file_size: size, offset: 0, length: size, partial: false, range_satisfiable: true };
  if (!range) return whole;
  const unsatisfiable = { file_size: size, offset: 0, length: 0, partial: false, range_satisfiable: false };
  const { start, end, suffix_length: suffix } = range;
  if (start === undefined || start === null) {
    if (suffix === undefined || suffix === null) return whole;
    if (suffix <= 0 || size === 0) return unsatisfiable;
    const offset = Math.max(0, size - suffix);
    return { file_size: size, offset, length: size - offset, partial: true, range_satisfiable: true };
  }
  if (start < 0 || (end !== undefined && end !== null && end < start)) return whole; // not a valid range: ignored (RFC 9110)
  if (start >= size) return unsatisfiable;
  const last = Math.min(end ?? size - 1, size - 1);
  return { file_size: size, offset: start, length: last - start + 1, partial: true, range_satisfiable: true };
}

/**
 * A body to store, checked against its declared length: short or long bodies
 * fail before anything is stored, and so does a source that fails or closes
 * early (a caller that went away). Nothing is read before the store reads.
 * A failure downstream (the store) leaves the source alone, so the
 * transport can still answer on it.
 */
class CheckedBody extends Readable {
  private seen = 0;
  private started = false;

  constructor(
    private readonly source: Readable,
    private readonly declared: number | undefined,
  ) {
    // Room for a few socket reads, so the source is not paused and resumed for each one.
    super({ highWaterMark: BODY_BUFFER_BYTES });
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
      return;
    }
    this.started = true;
    this.source.on('data', this.onData);
    this.source.once('end', this.onEnd);
    this.source.on('error', this.onError);
    this.source.once('aborted', this.onAborted);
    this.source.once('close', this.onClose);
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('aborted', this.onAborted);
    this.source.off('close', this.onClose);
    // (the error listener stays: a late error of the source must not go unhandled)
    callback(error);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.seen += chunk.length;
    if (this.declared !== undefined && this.seen > this.declared) {
      this.destroy(CairnError.invalidParameter(`The body is longer than its declared length of ${this.declared} bytes`));
      return;
    }
    if (chunk.length > 0 && !this.push(chunk)) this.source.pause();
  };

  private readonly onEnd = (): void => {
    if (this.declared !== undefined && this.seen !== this.declared) {
      this.destroy(CairnError.invalidParameter(`The body ended after ${this.seen} of its declared ${this.declared} bytes`));
      return;
    }
    this.push(null);
  };

  private readonly onError = (error: Error): void => {
    this.destroy(error instanceof CairnError ? error : new CairnError('ABORTED', `The upload was interrupted: ${error.message}`));
  };

  private readonly onAborted = (): void => this.onError(new Error('the connection closed'));

  private readonly onClose = (): void => {
    if (!this.source.readableEnded) this.onAborted();
  };
}

function checkedBody(source: Readable, declared: number | undefined): Readable {
  return new CheckedBody(source, declared);
}

function checkDeclaredLength(length: number | undefined | null): number | undefined {
  if (length === undefined || length === null) return undefined;
  if (!Number.isSafeInteger(length) || length < 0) throw CairnError.invalidParameter(`Invalid content length ${length}`);
  return length;
}

function checkUploadId(uploadId: string): void {
  // eslint-disable-next-line no-control-regex
  if (uploadId === '' || uploadId.length > 1024 || /[\u0000-\u001f\u007f]/.test(uploadId)) {
    throw CairnError.invalidParameter('Invalid upload_id');
  }
}

function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw CairnError.invalidParameter(`Invalid part number ${n}: expected 1..${MAX_PARTS}`);
  }
}

function expiry(seconds: number | undefined, fallback: number): number {
  if (!seconds) return fallback;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw CairnError.invalidParameter(`Invalid expiration ${seconds}: expected 1..${MAX_PRESIGN_SECONDS} seconds`);
  }
  return seconds;
}

export interface OpenedDownload {
  header: artifacts.DownloadHeader;
  /** Where the bytes come from; null when there are none to send (HEAD, an empty range, an unsatisfiable one). */
  bytes: FileBytes | null;
}

@Injectable()
export class ArtifactsService {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  storeInfo(): artifacts.GetStoreInfoResponse {
    return { backend: this.store.backend, location: this.store.location, presigned_urls: this.store.canPresign };
  }

  /** Stores a body (gRPC chunks or an HTTP request stream) under the header's path; nothing shows unless all of it arrives. */
  async upload(header: artifacts.UploadHeader, chunks: Readable): Promise<artifacts.UploadResponse> {
    const key = normalizeKey(header.path);
    const size = checkDeclaredLength(header.content_length);
    const stored = await this.store.write(key, checkedBody(chunks, size), {
      size,
      contentType: header.content_type || undefined,
    });
    return { size: stored };
  }

  /**
   * Opens a file (or a range of it) for download: the header, and where its
   * bytes come from (a stream, or a presigned URL of the object) unless
   * `withBody` is false (HEAD) or there are none to send.
   */
  async openDownload(request: artifacts.DownloadRequest, withBody = true): Promise<OpenedDownload> {
    const key = normalizeKey(request.path);
    const entry = await this.store.stat(key);
    if (entry === null) throw CairnError.notFound(`No such artifact: '${key}'`);
    if (entry.kind === 'dir') throw CairnError.invalidParameter(`Artifact path refers to a directory, not a file: '${key}'`);
    const header = resolveRange(entry.size, request.range);
    if (!header.range_satisfiable || !withBody || header.length === 0) return { header, bytes: null };
    return { header, bytes: await this.store.read(key, header.offset, header.length) };
  }

  async list(path: string): Promise<artifacts.ListArtifactsResponse> {
    const entries = await this.store.list(normalizeKey(path, { allowRoot: true }));
    return {
      files: entries.map((e) => (e.isDir ? { path: e.name, is_dir: true } : { path: e.name, is_dir: false, file_size: e.size ?? 0 })),
    };
  }

  async delete(path: string): Promise<artifacts.DeleteArtifactsResponse> {
    await this.store.delete(normalizeKey(path));
    return {};
  }

  async createMultipartUpload(request: artifacts.CreateMultipartUploadRequest): Promise<artifacts.CreateMultipartUploadResponse> {
    const key = normalizeKey(request.path);
    if (!Number.isInteger(request.num_parts) || request.num_parts < 1 || request.num_parts > MAX_PARTS) {
      throw CairnError.invalidParameter(`Invalid num_parts ${request.num_parts}: expected 1..${MAX_PARTS}`);
    }
    const seconds = expiry(request.expires_in_seconds, DEFAULT_PART_URL_SECONDS);
    const uploadId = await this.store.createMultipartUpload(key);
    const credentials: artifacts.MultipartUploadCredential[] = [];
    for (let n = 1; n <= request.num_parts; n++) {
      const url = await this.store.presignPart(key, uploadId, n, seconds);
      credentials.push({ part_number: n, url: url ?? '', headers: {} });
    }
    return { upload_id: uploadId, credentials };
  }

  async uploadPart(header: artifacts.UploadPartHeader, chunks: Readable): Promise<artifacts.UploadPartResponse> {
    const key = normalizeKey(header.path);
    checkUploadId(header.upload_id);
    checkPartNumber(header.part_number);
    const size = checkDeclaredLength(header.content_length);
    const etag = await this.store.uploadPart(key, header.upload_id, header.part_number, checkedBody(chunks, size), size);
    return { etag };
  }

  async completeMultipartUpload(
    request: artifacts.CompleteMultipartUploadRequest,
  ): Promise<artifacts.CompleteMultipartUploadResponse> {
    const key = normalizeKey(request.path);
    checkUploadId(request.upload_id);
    if (request.parts.length === 0) throw CairnError.invalidParameter('A multipart upload needs at least one part');
    let previous = 0;
    for (const part of request.parts) {
      checkPartNumber(part.part_number);
      if (part.part_number <= previous) throw CairnError.invalidParameter('Parts must be listed in ascending part_number order, once each');
      previous = part.part_number;
    }
    await this.store.completeMultipartUpload(
      key,
      request.upload_id,
      request.parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })),
    );
    return {};
  }

  async abortMultipartUpload(request: artifacts.AbortMultipartUploadRequest): Promise<artifacts.AbortMultipartUploadResponse> {
    const key = normalizeKey(request.path);
    checkUploadId(request.upload_id);
    await this.store.abortMultipartUpload(key, request.upload_id);
    return {};
  }

  async presign(request: artifacts.GetPresignedUrlRequest): Promise<artifacts.GetPresignedUrlResponse> {
    const key = normalizeKey(request.path);
    if (request.method !== 'GET' && request.method !== 'PUT') {
      throw CairnError.invalidParameter(`Invalid method '${request.method}': expected GET or PUT`);
    }
    if (!this.store.canPresign) {
      throw CairnError.notImplemented(`Presigned URLs are not supported by the ${this.store.backend} artifact store`);
    }
    const seconds = expiry(request.expires_in_seconds, DEFAULT_PRESIGN_SECONDS);
    if (request.method === 'PUT') return { url: await this.store.presign('PUT', key, seconds), headers: {} };
    const entry = await this.store.stat(key);
    if (entry?.kind !== 'file') throw CairnError.notFound(`No such artifact: '${key}'`);
    return { url: await this.store.presign('GET', key, seconds), headers: {}, file_size: entry.size };
  }
}
