import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntitySubscriberInterface, TransactionCommitEvent } from 'typeorm';
import { Logger, REQUEST_ID_HEADER } from '@cairn/observability';
import { OUTBOX_APPENDED } from './outbox';
import { PollingWorker } from './polling-worker';
import { CE_CONTENT_TYPE, EventMessage, EventPublisher } from './transport';

export interface OutboxRelayOptions {
  schema: string;
  pollMs: number;
  batchSize?: number;
  /** Take a transaction-scoped advisory lock so one replica relays at a time (keeps per-key order). */
  exclusive: boolean;
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  event: unknown;
  request_id: string | null;
}

/**
 * Publishes committed outbox rows, oldest first, and deletes them once the
 * transport has acknowledged them. If publishing fails (Kafka down), the
 * transaction rolls back, the rows stay, and the relay retries with backoff.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly worker: PollingWorker;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
    private readonly logger: Logger,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.worker = new PollingWorker({
      pass: () => this.tick(),
      batchSize: this.batchSize,
      pollMs: options.pollMs,
      maxBackoffMs: 5000,
      logger: logger.child({ schema: options.schema }),
      failure: 'outbox relay failed',
    });
  }

  start(): void {
    this.worker.start();
  }

  /** Ask for a pass now (after a commit that wrote events). */
  nudge(): void {
    this.worker.nudge();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Publishes everything pending, for a clean shutdown; gives up after the timeout. */
  async flush(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let total = 0;
    while (Date.now() < deadline) {
      try {
        const n = await this.tick();
        total += n;
        if (n === 0) return total;
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'outbox flush failed, retrying');
        await sleep(200);
      }
    }
    this.logger.warn({ schema: this.options.schema }, 'outbox flush timed out; pending events stay for the next start');
    return total;
  }

  /** One pass: publishes up to a batch; returns how many were published. */
  async tick(): Promise<number> {
    const { schema, exclusive } = this.options;
    return this.dataSource.transaction(async (manager) => {
      if (exclusive) {
        const [lock] = await manager.query<{ locked: boolean }[]>(
          'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked',
          [`cairn:outbox:${schema}`],
        );
        if (!lock?.locked) return 0;
      }
      const rows = await manager.query<OutboxRow[]>(
        `SELECT id, topic, key, event, request_id FROM "${schema}".outbox ORDER BY seq LIMIT $1`,
        [this.batchSize],
      );
      if (rows.length === 0) return 0;
      const messages: EventMessage[] = rows.map((row) => ({
        topic: row.topic,
        key: row.key,
        value: JSON.stringify(row.event),
        headers: {
          'content-type': CE_CONTENT_TYPE,
          ce_id: row.id,
          ...(row.request_id ? { [REQUEST_ID_HEADER]: row.request_id } : {}),
        },
      }));
      await this.publisher.publish(messages);
      await manager.query(`DELETE FROM "${schema}".outbox WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}

/**
 * Nudges the relay when a transaction that appended events commits (on its
 * DataSource, see OutboxWriter), so they are published at once; the relay's
 * poll remains for rows it could not see then (another replica's, a failed
 * publish, a restart).
 */
export class OutboxCommitSubscriber implements EntitySubscriberInterface {
  constructor(private readonly relay: OutboxRelay) {}

  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    // Also called when a savepoint is released: only the outermost commit counts.
    if (queryRunner.isTransactionActive || queryRunner.data[OUTBOX_APPENDED] !== true) return;
    delete queryRunner.data[OUTBOX_APPENDED];
    this.relay.nudge();
  }
}
