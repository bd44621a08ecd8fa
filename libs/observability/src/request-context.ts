import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The header (HTTP), metadata key (gRPC) and Kafka header that carry a request id. */
export const REQUEST_ID_HEADER = 'x-request-id';

export interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Accepts a caller's id when it is sane, or makes one. */
export function requestIdFrom(value: unknown): string {
  const candidate: unknown = Array.isArray(value) ? (value as unknown[])[0] : value;
  if (typeof candidate === 'string' && /^[\w.:-]{1,128}$/.test(candidate)) return candidate;
  return randomUUID();
}

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
