import { createHash } from 'node:crypto';
import { CairnError } from '@cairn/contracts';

/**
 * Opaque page tokens: base64url of `{"o": offset, "c": checksum}` where the
 * checksum binds the offset to the query shape (filter, order_by, experiment
 * ids, view type...). A token replayed against another query, or edited, is
 * rejected with INVALID_PARAMETER_VALUE "Invalid page token".
 */

const CHECKSUM_LENGTH = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

interface TokenPayload {
  o: number;
  c: string;
}

export function encodePageToken(offset: number, shape: unknown): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw CairnError.internal(`Cannot encode a page token for offset ${offset}`);
  }
  const payload: TokenPayload = { o: offset, c: checksum(offset, shape) };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The offset a token encodes; 0 for an absent or empty token. */
export function decodePageToken(token: string | null | undefined, shape: unknown): number {
  if (token === undefined || token === null || token === '') return 0;
  const payload = readPayload(token);
  if (!payload || payload.c !== checksum(payload.o, shape)) throw invalidToken();
  return payload.o;
}

function readPayload(token: string): TokenPayload | undefined {
  if (!BASE64URL.test(token)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return isPayload(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isPayload(value: unknown): value is TokenPayload {
  if (typeof value !== 'object' || value === null) return false;
  const { o, c } = value as Record<string, unknown>;
  return Number.isSafeInteger(o) && (o as number) >= 0 && typeof c === 'string';
}

function invalidToken(): CairnError {
  return CairnError.invalidParameter('Invalid page token');
}

function checksum(offset: number, shape: unknown): string {
  return createHash('sha256')
    .update(`${offset}\u0000${canonicalJson(shape)}`)
    .digest('base64url')
    .slice(0, CHECKSUM_LENGTH);
}

/** JSON with object keys sorted, so equal shapes hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
