/**
 * kafkajs 2.2.4 (its last release) keeps a timer running in the request
 * queue of every broker connection even when nothing is queued: after each
 * response the queue schedules its next check with a negative delay, which
 * Node runs after 1 ms, and every check schedules the next one
 * (tulios/kafkajs#1556 and #1704; the fix proposed in #1667 was never
 * released). Each Cairn process connected to Kafka woke up about a thousand
 * times a second per connection: measured idle, 10–25 ms of CPU per second
 * per service, and wake-ups competing with requests for the cores.
 *
 * A check is only needed while requests wait in the queue (client-side
 * throttling, or the in-flight limit); pushing a request, a response and a
 * request timeout check the queue anyway. So a check is scheduled only when
 * something is pending, with kafkajs' own delay.
 */

interface RequestQueueInternals {
  pending: unknown[];
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

/** The prototype of kafkajs' RequestQueue (not part of its typed API). */
export function requestQueuePrototype(): RequestQueueInternals {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  return RequestQueue.prototype;
}

const PATCHED = Symbol.for('cairn.kafkajs.idleTimer');

/** Applies the fix once per process (idempotent). */
export function stopIdleRequestQueueTimers(): void {
  const prototype = requestQueuePrototype() as RequestQueueInternals & { [PATCHED]?: true };
  if (prototype[PATCHED]) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function') throw new Error('kafkajs RequestQueue.scheduleCheckPendingRequests not found');
  prototype.scheduleCheckPendingRequests = function scheduleWhenPending(this: RequestQueueInternals): void {
    if (this.pending.length > 0) schedule.call(this);
  };
  prototype[PATCHED] = true;
}
