import { createHash, createHmac } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { rfc3986 } from './s3-list';

/**
 * AWS Signature V4 for one request signed in its headers, and the
 * `aws-chunked` body with a trailing CRC32 checksum
 * (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`). The server checks the checksum
 * before it stores anything, so a body cut short (a client that went away)
 * is refused instead of stored truncated, while the bytes still stream
 * through without being buffered or hashed up front. (Some S3 servers,
 * versitygw among them, store a plain PUT that was cut short.)
 */

export interface SignInput {
  method: string;
  /** URI-encoded path, e.g. /bucket/a%20b.txt */
  path: string;
  /** Query parameters (unencoded). */
  query?: Record<string, string>;
  /** Header names in lower case; `host` included. */
  headers: Record<string, string>;
  payloadHash: string;
  accessKey: string;
  secretKey: string;
  region: string;
  date?: Date;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

/** The request's headers plus x-amz-date, x-amz-content-sha256 and authorization. */
export function signV4(input: SignInput): Record<string, string> {
  const amzDate = (input.date ?? new Date()).toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, 'x-amz-date': amzDate, 'x-amz-content-sha256': input.payloadHash };
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalQuery = Object.entries(input.query ?? {})
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonicalRequest = [input.method, input.path, canonicalQuery, canonicalHeaders, signedHeaders, input.payloadHash].join('\n');
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secretKey}`, day), input.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** Bytes per aws-chunked chunk (the AWS SDKs' size; input passes through as views, so it costs no copies). */
export const AWS_CHUNK_BYTES = 64 * 1024;
const TRAILER_NAME = 'x-amz-checksum-crc32';

function crc32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

function framedChunkLength(size: number): number {
  return size.toString(16).length + 2 + size + 2;
}

/** The exact length of an aws-chunked body with a CRC32 trailer for `size` decoded bytes. */
export function awsChunkedLength(size: number): number {
  const full = Math.floor(size / AWS_CHUNK_BYTES);
  const rest = size % AWS_CHUNK_BYTES;
  const trailer = `0\r\n${TRAILER_NAME}:${crc32Base64(0)}\r\n\r\n`.length;
  return full * framedChunkLength(AWS_CHUNK_BYTES) + (rest > 0 ? framedChunkLength(rest) : 0) + trailer;
}

/** Headers (besides the signature) that announce an aws-chunked body with a CRC32 trailer. */
export function awsChunkedHeaders(size: number): Record<string, string> {
  return {
    'content-encoding': 'aws-chunked',
    'content-length': String(awsChunkedLength(size)),
    'x-amz-decoded-content-length': String(size),
    'x-amz-trailer': TRAILER_NAME,
  };
}

export const STREAMING_TRAILER_PAYLOAD = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

const CRLF = Buffer.from('\r\n');
const FULL_CHUNK_LINE = Buffer.from(`${AWS_CHUNK_BYTES.toString(16)}\r\n`);

/**
 * Frames a body of `size` bytes into fixed-size aws-chunked chunks, then the
 * zero chunk and the CRC32 trailer. Bytes pass through as views (each chunk
 * is its size line, the pieces of input that fill it, and CRLF), never
 * copied; a body that turns out shorter or longer than `size` fails the
 * stream, so the request is never completed.
 */
export class AwsChunkedEncoder extends Transform {
  private checksum = 0;
  /** Bytes still owed to the chunk being framed. */
  private open = 0;
  private framed = 0;

  constructor(private readonly size: number) {
    // Room for a few socket reads either side, so the pipe in is not paused for each one.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.open === 0) {
        const next = Math.min(AWS_CHUNK_BYTES, this.size - this.framed);
        if (next === 0) return done(new Error(`The body is longer than its declared ${this.size} bytes`));
        this.push(next === AWS_CHUNK_BYTES ? FULL_CHUNK_LINE : Buffer.from(`${next.toString(16)}\r\n`));
        this.open = next;
      }
      const take = Math.min(this.open, chunk.length - at);
      const piece = at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take);
      this.checksum = crc32(piece, this.checksum);
      this.push(piece);
      at += take;
      this.open -= take;
      this.framed += take;
      if (this.open === 0) this.push(CRLF);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.framed !== this.size) return done(new Error(`The body ended after ${this.framed} of its declared ${this.size} bytes`));
    this.push(`0\r\n${TRAILER_NAME}:${crc32Base64(this.checksum)}\r\n\r\n`);
    done();
  }
}
