import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { CloudEvent, EventType, parseCloudEvent } from '@cairn/contracts';
import { Logger, REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '@cairn/observability';
import { EventMessage, EventSubscriber } from './transport';

/** A message that can never succeed (bad JSON, bad schema): dead-lettered without retries. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export interface EventConsumerOptions {
  /** Consumer group and idempotency scope. */
  name: string;
  topics: string[];
  /** Only these types are handled; others are acknowledged and skipped. */
  types?: EventType[];
  dataSource: DataSource;
  /** Schema holding this service's consumed_events table. */
  schema: string;
  maxAttempts?: number;
  backoffMs?: number;
  /**
   * Asked before the idempotency transaction: an event it answers false for
   * is acknowledged without one (for consumers whose handler would write
   * nothing for it, such as webhooks when no webhook can match).
   */
  relevant?(event: CloudEvent): Promise<boolean>;
  /** Runs in the same transaction as the idempotency record. */
  handle(event: CloudEvent, manager: EntityManager): Promise<void>;
}

/**
 * Consumes events at-least-once from the transport and processes each event
 * id once: the consumed_events row and the handler's writes commit together.
 * A failing handler is retried with backoff a bounded number of times, then
 * the message is dead-lettered by the transport.
 */
export class EventConsumer {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly options: EventConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 200;
  }

  start(subscriber: EventSubscriber): Promise<void> {
    return subscriber.subscribe({
      group: this.options.name,
      topics: this.options.topics,
      process: (message) => this.process(message),
    });
  }

  async process(message: EventMessage): Promise<void> {
    let event: CloudEvent;
    try {
      event = parseCloudEvent(JSON.parse(message.value));
    } catch (err) {
      throw new PoisonMessageError(err instanceof Error ? err.message : String(err));
    }
    if (this.options.types && !this.options.types.includes(event.type)) return;
    const requestId = requestIdFrom(message.headers[REQUEST_ID_HEADER]);
    await runWithRequestId(requestId, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.handleOnce(event);
          return;
        } catch (err) {
          if (attempt >= this.maxAttempts) throw err;
          const delay = this.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
          this.logger.warn(
            { consumer: this.options.name, eventId: event.id, attempt, err: (err as Error).message },
            'event handler failed, retrying',
          );
          await sleep(delay);
        }
      }
    });
  }

  /** Returns false when the event had already been processed or is not relevant. */
  private async handleOnce(event: CloudEvent): Promise<boolean> {
    const { schema, name } = this.options;
    if (this.options.relevant && !(await this.options.relevant(event))) return false;
    return this.options.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO "${schema}".consumed_events (consumer, event_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [name, event.id],
      );
      if (inserted.length === 0) return false;
      await this.options.handle(event, manager);
      return true;
    });
  }
}
