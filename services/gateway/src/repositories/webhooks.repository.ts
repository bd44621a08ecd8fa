import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type WebhookApi = 'mlflow' | 'registry';
export type WebhookStatus = 'ACTIVE' | 'DISABLED' | 'TEST_MODE';

export interface WebhookRow {
  id: string;
  api: WebhookApi;
  name: string | null;
  description: string | null;
  url: string;
  events: string[];
  model_name: string | null;
  status: WebhookStatus;
  secret_enc: string | null;
  authorization_enc: string | null;
  enable_ssl_verification: boolean;
  creator: string;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string | null;
  event_type: string;
  body: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  attempt_limit: number;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_snippet: string | null;
}

export interface NewDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  body: string;
  attemptLimit: number;
}

export interface AttemptResult {
  startedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseSnippet: string | null;
}

const WEBHOOK_COLUMNS = `id, api, name, description, url, events, model_name, status, secret_enc, authorization_enc,
  enable_ssl_verification, creator, created_at, updated_at`;
/** Webhooks that receive an event of time $1. */
const ACTIVE_AT = `status = 'ACTIVE' AND created_at <= $1`;
const DELIVERY_COLUMNS = `id, webhook_id, event_id, event_type, body, status, attempts, attempt_limit, next_attempt_at,
  created_at, delivered_at, last_status, last_error`;

/** Webhook subscriptions and their durable deliveries. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: DataSource) {}

  async insert(w: Omit<WebhookRow, 'created_at' | 'updated_at'>): Promise<WebhookRow> {
    const rows = await this.db.query<WebhookRow[]>(
      `INSERT INTO gateway.webhooks (id, api, name, description, url, events, model_name, status, secret_enc,
         authorization_enc, enable_ssl_verification, creator, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, now(), now()) RETURNING ${WEBHOOK_COLUMNS}`,
      [w.id, w.api, w.name, w.description, w.url, JSON.stringify(w.events), w.model_name, w.status, w.secret_enc,
        w.authorization_enc, w.enable_ssl_verification, w.creator],
    );
    return rows[0]!;
  }

  async find(id: string, api?: WebhookApi): Promise<WebhookRow | undefined> {
    const rows = await this.db.query<WebhookRow[]>(
      `SELECT ${WEBHOOK_COLUMNS} FROM gateway.webhooks WHERE id = $1 AND ($2::text IS NULL OR api = $2)`,
      [id, api ?? null],
    );
    return rows[0];
  }

  async findMany(ids: string[]): Promise<WebhookRow[]> {
    if (ids.length === 0) return [];
    return this.db.query<WebhookRow[]>(`SELECT ${WEBHOOK_COLUMNS} FROM gateway.webhooks WHERE id = ANY($1::text[])`, [ids]);
  }

  /** One page in creation order; `after` is the last (created_at, id) of the previous page. */
  async list(api: WebhookApi, limit: number, after?: { at: string; id: string }, modelName?: string): Promise<WebhookRow[]> {
    return this.db.query<WebhookRow[]>(
      `SELECT ${WEBHOOK_COLUMNS} FROM gateway.webhooks
       WHERE api = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
         AND ($4::text IS NULL OR model_name = $4)
       ORDER BY created_at, id LIMIT $5`,
      [api, after?.at ?? null, after?.id ?? '', modelName ?? null, limit],
    );
  }

  async update(id: string, patch: Partial<Pick<WebhookRow, 'name' | 'description' | 'url' | 'events' | 'status' | 'secret_enc' | 'authorization_enc' | 'enable_ssl_verification'>>): Promise<WebhookRow | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [id];
    for (const [column, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      values.push(column === 'events' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${values.length}${column === 'events' ? '::jsonb' : ''}`);
    }
    sets.push('updated_at = now()');
    const [rows] = await this.db.query<[WebhookRow[], number]>(
      `UPDATE gateway.webhooks SET ${sets.join(', ')} WHERE id = $1 RETURNING ${WEBHOOK_COLUMNS}`,
      values,
    );
    return rows[0];
  }

  async delete(id: string): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>('DELETE FROM gateway.webhooks WHERE id = $1', [id]);
    return affected > 0;
  }

  /** Webhooks that take events (ACTIVE) and existed when the event happened, in the consumer's transaction. */
  async activeAt(manager: EntityManager, at: Date): Promise<WebhookRow[]> {
    return manager.query<WebhookRow[]>(
      `SELECT ${WEBHOOK_COLUMNS} FROM gateway.webhooks WHERE ${ACTIVE_AT}`,
      [at],
    );
  }

  /** Whether any webhook was active at `at` (activeAt non-empty), outside a transaction. */
  async anyActiveAt(at: Date): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `SELECT 1 FROM gateway.webhooks WHERE ${ACTIVE_AT} LIMIT 1`,
      [at],
    );
    return rows.length > 0;
  }

  /** Fans an event out, in the consumer's transaction; a redelivered event adds nothing (unique (webhook, event)). */
  async enqueue(manager: EntityManager, deliveries: NewDelivery[]): Promise<number> {
    let added = 0;
    for (const d of deliveries) {
      const rows = await manager.query<unknown[]>(
        `INSERT INTO gateway.webhook_deliveries (id, webhook_id, event_id, event_type, body, status, attempts, attempt_limit, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, now(), now())
         ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id`,
        [d.id, d.webhookId, d.eventId, d.eventType, d.body, d.attemptLimit],
      );
      added += rows.length;
    }
    return added;
  }

  /**
   * Claims due deliveries for one worker: FOR UPDATE SKIP LOCKED so replicas
   * never take the same row, and the claim is a lease (next_attempt_at moved
   * past the lease) so a replica that dies mid-delivery loses nothing: the
   * row becomes due again when the lease runs out.
   */
  async claimDue(leaseToken: string, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    const [rows] = await this.db.query<[DeliveryRow[], number]>(
      `UPDATE gateway.webhook_deliveries d
         SET next_attempt_at = now() + $2 * interval '1 millisecond', lease_token = $1
       WHERE d.id IN (
         SELECT id FROM gateway.webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING ${DELIVERY_COLUMNS.split(',').map((c) => `d.${c.trim()}`).join(', ')}`,
      [leaseToken, leaseMs, limit],
    );
    return rows;
  }

  /** Records an attempt and the delivery's next state, if this worker still holds the lease. */
  async recordAttempt(
    delivery: DeliveryRow,
    leaseToken: string | null,
    result: AttemptResult,
    next: { status: 'pending' | 'delivered' | 'dead'; retryInMs?: number },
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      const attempt = delivery.attempts + 1;
      const [, affected] = await m.query<[unknown[], number]>(
        `UPDATE gateway.webhook_deliveries SET
           attempts = $3, status = $4,
           next_attempt_at = CASE WHEN $4 = 'pending' THEN now() + $5 * interval '1 millisecond' ELSE NULL END,
           delivered_at = CASE WHEN $4 = 'delivered' THEN now() ELSE delivered_at END,
           last_status = $6, last_error = $7, lease_token = NULL
         WHERE id = $1 AND ($2::uuid IS NULL OR lease_token = $2) AND attempts = $8`,
        [delivery.id, leaseToken, attempt, next.status, next.retryInMs ?? 0, result.statusCode, result.error, delivery.attempts],
      );
      if (affected === 0) return;
      await m.query(
        `INSERT INTO gateway.webhook_delivery_attempts (delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [delivery.id, attempt, result.startedAt, result.statusCode, result.latencyMs, result.error, result.responseSnippet],
      );
    });
  }

  /** A delivery made outside the queue (the `test` call): the row and its one attempt at once. */
  async insertFinished(d: NewDelivery, result: AttemptResult, delivered: boolean): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO gateway.webhook_deliveries (id, webhook_id, event_id, event_type, body, status, attempts, attempt_limit,
           created_at, delivered_at, last_status, last_error)
         VALUES ($1, $2, $3, $4, $5, $6, 1, 1, now(), CASE WHEN $6 = 'delivered' THEN now() END, $7, $8)`,
        [d.id, d.webhookId, d.eventId, d.eventType, d.body, delivered ? 'delivered' : 'dead', result.statusCode, result.error],
      );
      await m.query(
        `INSERT INTO gateway.webhook_delivery_attempts (delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet)
         VALUES ($1, 1, $2, $3, $4, $5, $6)`,
        [d.id, result.startedAt, result.statusCode, result.latencyMs, result.error, result.responseSnippet],
      );
    });
  }

  async listDeliveries(webhookId: string, limit: number, before?: { at: string; id: string }, status?: string): Promise<DeliveryRow[]> {
    return this.db.query<DeliveryRow[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM gateway.webhook_deliveries
       WHERE webhook_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
         AND ($4::text IS NULL OR status = $4)
       ORDER BY created_at DESC, id DESC LIMIT $5`,
      [webhookId, before?.at ?? null, before?.id ?? '00000000-0000-0000-0000-000000000000', status ?? null, limit],
    );
  }

  async attemptsOf(ids: string[]): Promise<AttemptRow[]> {
    if (ids.length === 0) return [];
    return this.db.query<AttemptRow[]>(
      `SELECT delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet
       FROM gateway.webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id, attempt`,
      [ids],
    );
  }

  async findDelivery(id: string): Promise<DeliveryRow | undefined> {
    const rows = await this.db.query<DeliveryRow[]>(`SELECT ${DELIVERY_COLUMNS} FROM gateway.webhook_deliveries WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Puts a delivery back in the queue now, with a fresh budget of attempts. */
  async redeliver(id: string, extraAttempts: number): Promise<DeliveryRow | undefined> {
    const [rows] = await this.db.query<[DeliveryRow[], number]>(
      `UPDATE gateway.webhook_deliveries SET status = 'pending', next_attempt_at = now(), lease_token = NULL,
         attempt_limit = attempts + $2
       WHERE id = $1 RETURNING ${DELIVERY_COLUMNS}`,
      [id, extraAttempts],
    );
    return rows[0];
  }
}
