import { Readable } from 'node:stream';
import { Client } from 'minio';
import { ArtifactStoreConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import { Http1Client, Http1Response } from '@cairn/grpc';
import { ArtifactEntry, ArtifactStore, CompletedPartRef, FileBytes, StoredEntry, WriteOptions } from './artifact-store';
import { randomUUID } from 'node:crypto';
import { parseListObjectsV2, rfc3986 } from './s3-list';
import { AwsChunkedEncoder, awsChunkedHeaders, awsChunkedLength, signV4, STREAMING_TRAILER_PAYLOAD } from './s3-signing';

type S3Config = Extract<ArtifactStoreConfig, { kind: 's3' }>;

/** Largest single PUT S3 takes. */
const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/**
 * Part size when the length is unknown (a chunked body): parts are buffered
 * to be signed, so memory is PART_BYTES × (PARTS_IN_FLIGHT + 1); 8 MiB × 10000
 * parts caps such an upload at ~80 GB.
 */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
const INTERNAL_URL_SECONDS = 3600;
/**
 * Lifetime of the presigned URL a download is read from. The caller sends it
 * at once; the margin covers clocks that differ between hosts.
 */
const READ_URL_SECONDS = 300;
const ERROR_BODY_LIMIT = 64 * 1024;

interface S3LikeError {
  code?: string;
  message?: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** A minio/S3 failure as a domain error (not-found and bad-part cases keep their meaning). */
function storeError(err: unknown, what: string): Error {
  if (err instanceof CairnError) return err;
  const code = (err as S3LikeError | undefined)?.code;
  if (code === 'NoSuchKey' || code === 'NotFound') return CairnError.notFound(`No such artifact: '${what}'`);
  if (code === 'NoSuchUpload') return CairnError.notFound(`No multipart upload for '${what}' with that upload_id`);
  if (code === 'InvalidPart' || code === 'InvalidPartOrder' || code === 'EntityTooSmall' || code === 'InvalidArgument') {
    return CairnError.invalidParameter(`Multipart upload of '${what}': ${(err as S3LikeError).message ?? code}`);
  }
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new CairnError('TEMPORARILY_UNAVAILABLE', `The artifact store is unreachable (${code})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function readLimited(res: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    if (text.length < ERROR_BODY_LIMIT) text += chunk.toString('utf8');
  }
  return text;
}

/** An S3 error answer as an error carrying S3's code. */
async function s3Failure(method: string, res: Http1Response): Promise<Error> {
  const text = await res.text(ERROR_BODY_LIMIT).catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? (res.status === 404 ? 'NotFound' : undefined);
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return Object.assign(new Error(`S3 ${method} ${res.status}: ${code ?? ''} ${message ?? ''}`.trim()), { code });
}

/** Cuts a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* parts(body: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= size) {
      const joined = Buffer.concat(pending, pendingBytes);
      yield joined.subarray(0, size);
      const rest = joined.subarray(size);
      pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}

/**
 * Artifacts as objects in one bucket of any S3 API (distributed mode).
 *
 * Downloads are read from presigned GET URLs by the caller itself (the
 * gateway), so their bytes do not pass through this service. Upload bodies
 * are signed here and sent through the lean HTTP/1.1 client (@cairn/grpc
 * Http1Client); minio does the rest (stat, list, delete, multipart
 * bookkeeping, presigning).
 *
 * A body of known length streams straight into one PUT, framed as
 * aws-chunked with a trailing CRC32 checksum: nothing is buffered, and the
 * server stores the object only once the whole body has arrived and checks
 * out (a plain PUT cut short is stored truncated by some servers, versitygw
 * among them). Whether the server takes checksum trailers is probed once;
 * where it does not, and for bodies of unknown length, the upload is a
 * multipart upload of buffered 8 MiB parts, completed (atomically) at the
 * end or aborted on failure.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly backend = 's3' as const;
  readonly canPresign = true;
  private readonly client: Client;
  private readonly bucket: string;
  private readonly http: Http1Client;
  private readonly endpoint: URL;
  private trailers?: Promise<boolean>;

  constructor(private readonly config: S3Config) {
    const url = new URL(config.endpoint);
    const useSSL = url.protocol === 'https:';
    this.endpoint = url;
    this.bucket = config.bucket;
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
    });
    this.http = new Http1Client({ host: url.hostname, port: url.port ? Number(url.port) : useSSL ? 443 : 80, tls: useSSL });
  }

  get location(): string {
    return `s3://${this.bucket}`;
  }

  ping(): Promise<boolean> {
    return this.client.bucketExists(this.bucket);
  }

  async stat(key: string): Promise<StoredEntry | null> {
    if (key === '') return { kind: 'dir' };
    try {
      const st = await this.client.statObject(this.bucket, key);
      return { kind: 'file', size: st.size };
    } catch (err) {
      const e = storeError(err, key);
      if (!(e instanceof CairnError) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    const page = await this.listPage(`${key}/`, undefined, undefined, 1);
    return page.keys.length > 0 || page.prefixes.length > 0 ? { kind: 'dir' } : null;
  }

  /** A presigned GET of the object: the caller fetches the bytes from S3 itself, one process hop fewer than through here. */
  async read(key: string): Promise<FileBytes> {
    try {
      return { url: await this.presign('GET', key, READ_URL_SECONDS) };
    } catch (err) {
      throw storeError(err, key);
    }
  }

  async write(key: string, body: Readable, options: WriteOptions): Promise<number> {
    if (options.size !== undefined && options.size <= MAX_SINGLE_PUT_BYTES && (await this.takesTrailers())) {
      await this.putChecked(key, body, options.size, options.contentType);
      return options.size;
    }
    return this.writeMultipart(key, body, options.contentType);
  }

  async list(dirKey: string): Promise<ArtifactEntry[]> {
    const prefix = dirKey === '' ? '' : `${dirKey}/`;
    const entries = new Map<string, ArtifactEntry>();
    let token: string | undefined;
    do {
      const page = await this.listPage(prefix, '/', token);
      for (const p of page.prefixes) {
        const name = p.slice(prefix.length).replace(/\/+$/, '');
        if (p.startsWith(prefix) && name !== '' && !name.includes('/')) entries.set(name, { name, isDir: true });
      }
      for (const k of page.keys) {
        const name = k.key.slice(prefix.length);
        // Directory markers ("dir/" objects) are not files.
        if (!k.key.startsWith(prefix) || name === '' || name.includes('/')) continue;
        if (!entries.has(name)) entries.set(name, { name, isDir: false, size: k.size });
      }
      token = page.nextToken;
    } while (token !== undefined);
    return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    if (key === '') throw CairnError.invalidParameter('Refusing to delete the artifact store root');
    try {
      await this.client.removeObject(this.bucket, key);
    } catch (err) {
      const e = storeError(err, key);
      if (!(e instanceof CairnError) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    // Continuation tokens name the last key listed, so deleting a listed page does not shift the next one.
    let token: string | undefined;
    do {
      const page = await this.listPage(`${key}/`, undefined, token);
      const names = page.keys.map((k) => k.key);
      if (names.length > 0) {
        let failed: unknown[];
        try {
          // The answer lists the objects S3 could not delete.
          failed = (await this.client.removeObjects(this.bucket, names)).filter((r) => r !== null && r !== undefined);
        } catch (err) {
          throw storeError(err, key);
        }
        if (failed.length > 0) throw new Error(`S3 refused to delete ${failed.length} object(s) under '${key}'`);
      }
      token = page.nextToken;
    } while (token !== undefined);
  }

  // ---------------------------------------------------------------- multipart

  async createMultipartUpload(key: string, contentType?: string): Promise<string> {
    try {
      return await this.client.initiateNewMultipartUpload(this.bucket, key, contentType ? { 'Content-Type': contentType } : {});
    } catch (err) {
      throw storeError(err, key);
    }
  }

  presignPart(key: string, uploadId: string, partNumber: number, expiresSeconds: number): Promise<string | null> {
    return this.client.presignedUrl('PUT', this.bucket, key, expiresSeconds, {
      partNumber: String(partNumber),
      uploadId,
    });
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Readable, size?: number): Promise<string> {
    if (size === undefined) throw CairnError.invalidParameter('A multipart part needs its Content-Length');
    const query = { partNumber: String(partNumber), uploadId };
    if (await this.takesTrailers()) return this.putChecked(key, body, size, undefined, query);
    // Without trailers a part cut short may be stored; the upload is then aborted or completed with the etags it got.
    const url = new URL(await this.client.presignedUrl('PUT', this.bucket, key, INTERNAL_URL_SECONDS, query));
    return this.send(`${url.pathname}${url.search}`, { host: url.host }, body, size, key);
  }

  async completeMultipartUpload(key: string, uploadId: string, done: CompletedPartRef[]): Promise<void> {
    try {
      await this.client.completeMultipartUpload(
        this.bucket,
        key,
        uploadId,
        done.map((p) => ({ part: p.partNumber, etag: p.etag })),
      );
    } catch (err) {
      throw storeError(err, key);
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.bucket, key, uploadId);
    } catch (err) {
      throw storeError(err, key);
    }
  }

  presign(method: 'GET' | 'PUT', key: string, expiresSeconds: number): Promise<string> {
    return this.client.presignedUrl(method, this.bucket, key, expiresSeconds);
  }

  // ---------------------------------------------------------------- internals

  /** One page of ListObjectsV2 (keys decoded only when the server encoded them). */
  private async listPage(prefix: string, delimiter: string | undefined, token: string | undefined, maxKeys = 1000) {
    const query = [
      'list-type=2',
      `prefix=${rfc3986(prefix)}`,
      `max-keys=${maxKeys}`,
      'encoding-type=url',
      ...(delimiter ? [`delimiter=${rfc3986(delimiter)}`] : []),
      ...(token ? [`continuation-token=${rfc3986(token)}`] : []),
    ].join('&');
    try {
      const res = await this.client.makeRequestAsync({ method: 'GET', bucketName: this.bucket, query }, '', [200]);
      return parseListObjectsV2(await readLimited(res));
    } catch (err) {
      throw storeError(err, prefix);
    }
  }

  /** True when the server verifies aws-chunked checksum trailers (probed once with a one-byte object). */
  private takesTrailers(): Promise<boolean> {
    this.trailers ??= (async () => {
      const probe = `.cairn/probe/${randomUUID()}`;
      try {
        await this.putChecked(probe, Readable.from([Buffer.from('x')]), 1, undefined);
        await this.client.removeObject(this.bucket, probe).catch(() => undefined);
        return true;
      } catch (err) {
        if (err instanceof CairnError && err.code === 'TEMPORARILY_UNAVAILABLE') {
          this.trailers = undefined; // ask again once the server is back
          throw err;
        }
        return false;
      }
    })();
    return this.trailers;
  }

  /** The URI-encoded path of an object (path-style). */
  private objectPath(key: string): string {
    return `/${rfc3986(this.bucket)}/${key.split('/').map(rfc3986).join('/')}`;
  }

  /** One PUT (an object, or a part with `query`), aws-chunked with a CRC32 trailer, signed in its headers. */
  private putChecked(
    key: string,
    body: Readable,
    size: number,
    contentType: string | undefined,
    query?: Record<string, string>,
  ): Promise<string> {
    const path = this.objectPath(key);
    const headers = signV4({
      method: 'PUT',
      path,
      query,
      headers: { host: this.endpoint.host, ...awsChunkedHeaders(size), ...(contentType ? { 'content-type': contentType } : {}) },
      payloadHash: STREAMING_TRAILER_PAYLOAD,
      accessKey: this.config.accessKey,
      secretKey: this.config.secretKey,
      region: this.config.region,
    });
    const search = Object.entries(query ?? {})
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .join('&');
    const encoded = new AwsChunkedEncoder(size);
    body.once('error', (err) => encoded.destroy(err));
    return this.send(search ? `${path}?${search}` : path, headers, body.pipe(encoded), awsChunkedLength(size), key);
  }

  /**
   * Streams a body into a PUT; resolves to the ETag. The body is read only as
   * fast as S3 takes it. A body that fails or ends short leaves the request
   * incomplete (the connection is dropped), so S3 stores nothing.
   */
  private async send(target: string, headers: Record<string, string>, body: Readable, length: number, key: string): Promise<string> {
    let res: Http1Response;
    try {
      res = await this.http.request({ method: 'PUT', target, headers, body: { source: body, length } });
    } catch (err) {
      body.destroy();
      throw storeError(err, key);
    }
    if (!res.requestComplete) body.destroy();
    if (res.status < 200 || res.status >= 300) throw storeError(await s3Failure('PUT', res), key);
    await readLimited(res).catch(() => '');
    if (!res.requestComplete) throw new Error(`S3 answered the PUT of '${key}' before its body was sent`);
    return res.headers.etag ?? '';
  }

  private async writeMultipart(key: string, body: Readable, contentType: string | undefined): Promise<number> {
    const iterator = parts(body, PART_BYTES);
    const first = await iterator.next();
    if (first.done || first.value.length < PART_BYTES) {
      // Fits in one part: one PUT of the buffered bytes.
      const data = first.done ? Buffer.alloc(0) : first.value;
      try {
        await this.client.putObject(this.bucket, key, data, data.length, contentType ? { 'Content-Type': contentType } : {});
      } catch (err) {
        throw storeError(err, key);
      }
      return data.length;
    }
    const uploadId = await this.createMultipartUpload(key, contentType);
    const etags: { part: number; etag: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: Error | undefined;
    let total = 0;
    let partNumber = 0;
    const send = (data: Buffer): void => {
      const n = ++partNumber;
      total += data.length;
      const sent = this.client
        .uploadPart({ bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: n, headers: {} }, data)
        .then((res) => void etags.push({ part: n, etag: res.etag }))
        .catch((err: unknown) => void (failure ??= err instanceof Error ? err : new Error(String(err))))
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    try {
      send(first.value);
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (failure !== undefined) break;
        send(next.value);
        while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      etags.sort((a, b) => a.part - b.part);
      await this.client.completeMultipartUpload(this.bucket, key, uploadId, etags);
      return total;
    } catch (err) {
      await iterator.return(undefined).catch(() => undefined);
      body.destroy();
      await Promise.allSettled(inFlight);
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw storeError(err, key);
    }
  }
}
