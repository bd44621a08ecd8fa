import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CloudEvent, EVENT_SCHEMAS, EventData, EventType, EventValidationError, topicOf } from '@cairn/contracts';
import { currentRequestId } from '@cairn/observability';

/** A row of a service's outbox table, as the relay reads it. */
export interface OutboxRecord {
  id: string;
  topic: string;
  key: string;
  event: CloudEvent;
  requestId: string | null;
}

/**
 * DDL of the outbox and of the consumed-events table, for a service's own
 * migration. `seq` orders publication; published rows are deleted.
 */
export function outboxTablesSql(schema: string): string[] {
  return [
    `CREATE TABLE "${schema}".outbox (
       seq bigserial PRIMARY KEY,
       id uuid NOT NULL UNIQUE,
       topic text NOT NULL,
       key text NOT NULL,
       event jsonb NOT NULL,
       request_id text,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE "${schema}".consumed_events (
       consumer text NOT NULL,
       event_id uuid NOT NULL,
       consumed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)
     )`,
  ];
}

export function dropOutboxTablesSql(schema: string): string[] {
  return [`DROP TABLE "${schema}".consumed_events`, `DROP TABLE "${schema}".outbox`];
}

/**
 * Marks a query runner whose transaction appended events; read when it
 * commits (OutboxCommitSubscriber), so that the relay publishes them at once.
 */
export const OUTBOX_APPENDED = 'cairn.outboxAppended';

/**
 * Writes events in the caller's transaction: the change and its events
 * commit together or not at all.
 */
export class OutboxWriter {
  constructor(
    private readonly schema: string,
    private readonly source: string,
  ) {}

  async append<T extends EventType>(manager: EntityManager, type: T, subject: string, data: EventData<T>): Promise<string> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(`outbox append of ${type} outside a transaction`);
    }
    const checked = EVENT_SCHEMAS[type].safeParse(data);
    if (!checked.success) throw new EventValidationError(`invalid data for ${type}: ${checked.error.message}`);
    const event: CloudEvent = {
      specversion: '1.0',
      id: randomUUID(),
      source: this.source,
      type,
      time: new Date().toISOString(),
      subject,
      datacontenttype: 'application/json',
      data: checked.data,
    };
    await manager.query(
      `INSERT INTO "${this.schema}".outbox (id, topic, key, event, request_id) VALUES ($1, $2, $3, $4, $5)`,
      [event.id, topicOf(type), subject, JSON.stringify(event), currentRequestId() ?? null],
    );
    manager.queryRunner.data[OUTBOX_APPENDED] = true;
    return event.id;
  }
}
