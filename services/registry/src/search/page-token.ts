import { createHash } from 'node:crypto';
import { CairnError } from '@cairn/contracts';

/**
 * Opaque page tokens: base64url of `{"o": offset, "c": checksum}`, the
 * checksum binding the offset to the query (filter, order_by, max_results).
 * A token replayed against another query, or edited, is refused.
 */
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function checksum(offset: number, shape: unknown): string {
  return createHash('sha256').update(`${offset}\u0000${JSON.stringify(shape)}`).digest('base64url').slice(0, 16);
}

export function encodePageToken(offset: number, shape: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, c: checksum(offset, shape) }), 'utf8').toString('base64url');
}

/** The offset a token encodes; 0 for no token. */
export function decodePageToken(token: string | undefined, shape: unknown): number {
  if (token === undefined || token === '') return 0;
  const invalid = CairnError.invalidParameter('Invalid page token');
  if (!BASE64URL.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const { o, c } = (parsed ?? {}) as { o?: unknown; c?: unknown };
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0 || c !== checksum(o, shape)) throw invalid;
  return o;
}
