import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { SsrfError, SsrfPolicy } from './ssrf';

export interface SendResult {
  statusCode: number | null;
  latencyMs: number;
  /** The start of the response body (for the delivery log). */
  snippet: string | null;
  error: string | null;
  /** Seconds or an HTTP date, from a 429/503. */
  retryAfterMs: number | null;
  /** The SSRF policy refused the target: retrying will not help. */
  refused: boolean;
}

const SNIPPET_BYTES = 1024;

function retryAfter(header: string | string[] | undefined, now = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * One POST of a webhook delivery: no redirects followed, a hard timeout, the
 * SSRF policy applied to the address actually connected to.
 */
export function postWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; verifyTls: boolean; policy: SsrfPolicy },
): Promise<SendResult> {
  const started = performance.now();
  const done = (partial: Partial<SendResult>): SendResult => ({
    statusCode: null,
    snippet: null,
    error: null,
    retryAfterMs: null,
    refused: false,
    ...partial,
    latencyMs: Math.round(performance.now() - started),
  });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0) options.policy.checkLiteral(host);
    } catch (err) {
      resolve(done({ error: (err as Error).message, refused: err instanceof SsrfError }));
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Cairn-Webhooks/1' },
        lookup: options.policy.lookup,
        timeout: options.timeoutMs,
        ...(url.protocol === 'https:' ? { rejectUnauthorized: options.verifyTls } : {}),
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve(
            done({
              statusCode: status,
              snippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
              retryAfterMs: status === 429 || status === 503 ? retryAfter(response.headers['retry-after']) : null,
              error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
            }),
          );
        });
        response.on('error', (err) => resolve(done({ statusCode: response.statusCode ?? null, error: err.message })));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    request.on('error', (err) => resolve(done({ error: err.message, refused: err instanceof SsrfError })));
    request.end(body);
  });
}
