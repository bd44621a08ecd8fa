import { Metadata } from '@grpc/grpc-js';

/** gRPC metadata key naming who a call acts for (set by the gateway). */
export const ACTOR_METADATA_KEY = 'x-cairn-actor';
export const ANONYMOUS = 'anonymous';

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The actor a call acts for (percent-encoded in metadata); "anonymous" when the caller named no one. */
export function actorOf(metadata: Metadata | undefined): string {
  const value = metadata?.get?.(ACTOR_METADATA_KEY)?.[0];
  const raw = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : '';
  const actor = decode(raw).trim();
  return actor === '' ? ANONYMOUS : actor.slice(0, 256);
}
