import { Metadata } from '@grpc/grpc-js';
import { CallActor } from '../services/governance.service';

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

/** Set by the gateway when the actor is an administrator. */
export const ACTOR_ADMIN_METADATA_KEY = 'x-cairn-actor-admin';

/** The actor and whether the gateway vouched for it as an administrator. */
export function callActorOf(metadata: Metadata | undefined): CallActor {
  const flag = metadata?.get?.(ACTOR_ADMIN_METADATA_KEY)?.[0];
  return { name: actorOf(metadata), admin: flag === 'true' };
}
