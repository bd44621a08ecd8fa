import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CloudEvent } from '@cairn/contracts';
import { PollingWorker } from '@cairn/events';
import { LOGGER, Logger } from '@cairn/observability';
import { AttemptResult, DeliveryRow, NewDelivery, WebhookRow, WebhooksRepository } from '../repositories/webhooks.repository';
import { SecretBox } from '../security/secrets';
import { SECRET_BOX } from './secret-box.provider';
import { postWebhook, SendResult } from './sender';
import { mlflowSignature, registrySignature } from './signing';
import { SsrfPolicy } from './ssrf';
import { mlflowNotifications, registryNotifications } from './vocabulary';

const BATCH = 16;
const IDLE_POLL_MS = 1000;
const MAX_BACKOFF_MS = 60 * 60_000;
const RENAMED = 'cairn.registry.registered_model.renamed.v1';

/** The webhooks an event goes to: those active by its time, give or take 5 s between the clocks of the services. */
function activeCutoff(event: CloudEvent): Date {
  return new Date(new Date(event.time).getTime() + 5000);
}

/**
 * Durable, at-least-once webhook delivery. Events fan out to one delivery row
 * per matching webhook in the event consumer's transaction; a worker claims
 * due rows (FOR UPDATE SKIP LOCKED, as a lease that expires), POSTs them
 * signed, and records every attempt. Failures retry with exponential backoff
 * and jitter, honouring Retry-After, up to the attempt limit, then the
 * delivery is dead (and can be redelivered on request). Each delivery keeps
 * one id across attempts, sent in X-Cairn-Delivery-Id (and
 * X-MLflow-Delivery-Id), for the receiver to de-duplicate on.
 */
@Injectable()
export class DeliveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly policy: SsrfPolicy;
  private readonly leaseMs: number;
  private readonly worker: PollingWorker;

  constructor(
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
    private readonly repository: WebhooksRepository,
    @Inject(SECRET_BOX) private readonly box: SecretBox | undefined,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.policy = new SsrfPolicy(config.webhooks.allowPrivate);
    this.leaseMs = config.webhooks.timeoutMs * 2 + 5000;
    this.worker = new PollingWorker({
      pass: () => this.tick(),
      batchSize: BATCH,
      pollMs: IDLE_POLL_MS,
      maxBackoffMs: 30_000,
      logger,
      failure: 'webhook worker pass failed',
    });
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.worker.stop();
  }

  /** Ask the worker to look for due deliveries now. */
  nudge(): void {
    this.worker.nudge();
  }

  /**
   * Whether fanOut could write anything for the event: a rename (webhooks
   * follow their model), or any webhook active at its time. Events nobody
   * subscribed to then cost one read, not a transaction.
   */
  async wants(event: CloudEvent): Promise<boolean> {
    return event.type === RENAMED || this.repository.anyActiveAt(activeCutoff(event));
  }

  /** The deliveries one event makes, written in the consumer's transaction. */
  async fanOut(event: CloudEvent, manager: EntityManager): Promise<number> {
    if (event.type === RENAMED) {
      const d = event.data as { name: string; old_name: string };
      await manager.query('UPDATE gateway.webhooks SET model_name = $2, updated_at = now() WHERE model_name = $1', [d.old_name, d.name]);
      return 0;
    }
    const hooks = await this.repository.activeAt(manager, activeCutoff(event));
    if (hooks.length === 0) return 0;
    const mlflow = mlflowNotifications(event);
    const registry = registryNotifications(event);
    const deliveries: NewDelivery[] = [];
    const limit = this.config.webhooks.maxAttempts;
    for (const hook of hooks) {
      if (hook.api === 'mlflow') {
        for (const n of mlflow) {
          if (!hook.events.includes(n.event)) continue;
          const [entity, action] = n.event.split('.');
          const body = JSON.stringify({ entity, action, timestamp: event.time, data: n.data });
          deliveries.push({ id: randomUUID(), webhookId: hook.id, eventId: `${event.id}:${n.event}`, eventType: n.event, body, attemptLimit: limit });
        }
      } else {
        for (const n of registry) {
          if (!hook.events.includes(n.event)) continue;
          if (hook.model_name !== null && (hook.model_name !== n.modelName || n.event === 'REGISTERED_MODEL_CREATED')) continue;
          const body = JSON.stringify({
            event: n.event,
            webhook_id: hook.id,
            event_timestamp: new Date(event.time).getTime(),
            ...n.fields,
          });
          deliveries.push({ id: randomUUID(), webhookId: hook.id, eventId: `${event.id}:${n.event}:${n.key}`, eventType: n.event, body, attemptLimit: limit });
        }
      }
    }
    return this.repository.enqueue(manager, deliveries);
  }

  /** Sends one delivery now (the `test` calls): the result is logged as a delivery of its own. */
  async sendNow(hook: WebhookRow, eventType: string, body: string): Promise<SendResult> {
    const id = randomUUID();
    const startedAt = new Date();
    const result = await postWebhook(hook.url, this.headers(hook, id, eventType, body, 1), body, {
      timeoutMs: this.config.webhooks.timeoutMs,
      verifyTls: hook.enable_ssl_verification,
      policy: this.policy,
    });
    await this.repository.insertFinished(
      { id, webhookId: hook.id, eventId: `test:${id}`, eventType, body, attemptLimit: 1 },
      attemptResult(startedAt, result),
      result.error === null,
    );
    return result;
  }

  sealSecret(plain: string): string {
    if (!this.box) {
      throw new Error('CAIRN_SECRET_KEY is not set: webhook secrets cannot be stored encrypted in distributed mode');
    }
    return this.box.seal(plain);
  }

  private openSecret(sealed: string | null): string | undefined {
    if (sealed === null) return undefined;
    if (!this.box) throw new Error('CAIRN_SECRET_KEY is not set: cannot decrypt the webhook secret');
    return this.box.open(sealed);
  }

  private headers(hook: WebhookRow, deliveryId: string, eventType: string, body: string, attempt: number): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-cairn-delivery-id': deliveryId,
      'x-cairn-event': eventType,
      'x-cairn-attempt': String(attempt),
    };
    const secret = this.openSecret(hook.secret_enc);
    if (hook.api === 'mlflow') {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers['x-mlflow-delivery-id'] = deliveryId;
      headers['x-mlflow-timestamp'] = timestamp;
      if (secret) headers['x-mlflow-signature'] = mlflowSignature(secret, deliveryId, timestamp, body);
    } else {
      if (secret) headers['x-databricks-signature'] = registrySignature(secret, body);
      const authorization = this.openSecret(hook.authorization_enc);
      if (authorization) headers.authorization = authorization;
    }
    return headers;
  }

  /** One pass: claims up to a batch of due deliveries and attempts them concurrently. */
  async tick(): Promise<number> {
    const lease = randomUUID();
    const due = await this.repository.claimDue(lease, this.leaseMs, BATCH);
    if (due.length === 0) return 0;
    const hooks = new Map((await this.repository.findMany([...new Set(due.map((d) => d.webhook_id))])).map((h) => [h.id, h]));
    await Promise.all(due.map((d) => this.attempt(d, hooks.get(d.webhook_id), lease)));
    return due.length;
  }

  private async attempt(delivery: DeliveryRow, hook: WebhookRow | undefined, lease: string): Promise<void> {
    if (!hook) return;
    const startedAt = new Date();
    const attempt = delivery.attempts + 1;
    if (hook.status === 'DISABLED') {
      const result: SendResult = { statusCode: null, latencyMs: 0, snippet: null, error: 'webhook is DISABLED', retryAfterMs: null, refused: true };
      await this.repository.recordAttempt(delivery, lease, attemptResult(startedAt, result), { status: 'dead' });
      return;
    }
    let result: SendResult;
    try {
      result = await postWebhook(hook.url, this.headers(hook, delivery.id, delivery.event_type, delivery.body, attempt), delivery.body, {
        timeoutMs: this.config.webhooks.timeoutMs,
        verifyTls: hook.enable_ssl_verification,
        policy: this.policy,
      });
    } catch (err) {
      result = { statusCode: null, latencyMs: 0, snippet: null, error: (err as Error).message, retryAfterMs: null, refused: true };
    }
    const next = this.nextState(result, attempt, delivery.attempt_limit);
    if (next.status !== 'delivered') {
      this.logger.warn(
        { webhook: hook.id, delivery: delivery.id, attempt, status: result.statusCode, err: result.error, next: next.status },
        'webhook delivery attempt failed',
      );
    }
    await this.repository.recordAttempt(delivery, lease, attemptResult(startedAt, result), next);
    if (next.status === 'pending' && next.retryInMs !== undefined && next.retryInMs < IDLE_POLL_MS) {
      setTimeout(() => this.nudge(), next.retryInMs).unref();
    }
  }

  /** 2xx: delivered. Refused by policy, or a 4xx other than 408/429: dead. Otherwise retry with backoff, until the limit. */
  nextState(result: SendResult, attempt: number, limit: number): { status: 'pending' | 'delivered' | 'dead'; retryInMs?: number } {
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) return { status: 'delivered' };
    const permanent =
      result.refused ||
      (result.statusCode !== null && result.statusCode >= 300 && result.statusCode < 500 && result.statusCode !== 408 && result.statusCode !== 429);
    if (permanent || attempt >= limit) return { status: 'dead' };
    const base = Math.min(MAX_BACKOFF_MS, this.config.webhooks.backoffMs * 2 ** (attempt - 1));
    const jittered = Math.round(base * (0.5 + Math.random() / 2));
    return { status: 'pending', retryInMs: Math.min(MAX_BACKOFF_MS, Math.max(jittered, result.retryAfterMs ?? 0)) };
  }
}

function attemptResult(startedAt: Date, r: SendResult): AttemptResult {
  return { startedAt, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, responseSnippet: r.snippet };
}
