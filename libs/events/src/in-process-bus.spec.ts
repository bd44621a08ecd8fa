import { PGlite } from '@electric-sql/pglite';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { CloudEvent, deadLetterTopic, TOPICS } from '@cairn/contracts';
import { sharedPGliteDriver } from '@cairn/persistence';
import { EventConsumer } from './consumer';
import { DLQ_HEADERS } from './dead-letter';
import { InProcessEventBus } from './in-process-bus';
import { OutboxWriter, outboxTablesSql } from './outbox';
import { OutboxCommitSubscriber, OutboxRelay } from './relay';
import { EventMessage } from './transport';

/** Embedded mode: the same outbox and consumer semantics over the in-process bus and PGlite. */
const logger = pino({ level: 'silent' });
const SCHEMA = 'bus';

describe('outbox → in-process bus → consumer (PGlite)', () => {
  let db: PGlite;
  let ds: DataSource;
  let bus: InProcessEventBus;
  let relay: OutboxRelay;
  const handled: CloudEvent[] = [];
  const dlq: EventMessage[] = [];
  const writer = new OutboxWriter(SCHEMA, '/cairn/test');

  const commit = (subject: string, rollback = false) =>
    ds
      .transaction(async (m) => {
        const id = await writer.append(m, 'cairn.tracking.experiment.created.v1', subject, {
          experiment_id: subject,
          name: subject,
          artifact_location: `mlflow-artifacts:/${subject}`,
        });
        if (rollback) throw new Error('roll back');
        return id;
      })
      .catch(() => undefined);

  beforeAll(async () => {
    db = await PGlite.create('memory://');
    ds = new DataSource({ type: 'postgres', driver: sharedPGliteDriver(db), entities: [] });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const sql of outboxTablesSql(SCHEMA)) await ds.query(sql);
    bus = new InProcessEventBus(logger);
    await bus.subscribe({
      group: 'dlq-watch',
      topics: [deadLetterTopic(TOPICS.tracking)],
      process: async (m) => {
        dlq.push(m);
      },
    });
    await new EventConsumer(
      {
        name: 'test',
        topics: [TOPICS.tracking],
        dataSource: ds,
        schema: SCHEMA,
        maxAttempts: 2,
        backoffMs: 1,
        relevant: async (event) => event.subject !== 'irrelevant',
        handle: async (event) => {
          if (event.subject === 'fail') throw new Error('refused');
          handled.push(event);
        },
      },
      logger,
    ).start(bus);
    relay = new OutboxRelay(ds, bus, { schema: SCHEMA, pollMs: 10, exclusive: false }, logger);
  });

  afterAll(async () => {
    await ds.destroy();
    await db.close();
  });

  it('delivers committed events once, never rolled-back ones', async () => {
    const a = await commit('a');
    await commit('b', true);
    expect(await relay.tick()).toBe(1);
    await bus.idle();
    expect(handled.map((e) => e.id)).toEqual([a]);
    // A redelivery of the same message is skipped by the idempotency record.
    const [row] = await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${SCHEMA}.consumed_events`);
    expect(row?.n).toBe(1);
    await bus.publish([{ topic: TOPICS.tracking, key: 'a', value: JSON.stringify(handled[0]), headers: {} }]);
    await bus.idle();
    expect(handled).toHaveLength(1);
  });

  it('acknowledges an event the consumer finds irrelevant without recording or handling it', async () => {
    const skipped = await commit('irrelevant');
    const next = await commit('relevant');
    await relay.tick();
    await bus.idle();
    expect(handled.map((e) => e.id)).toEqual(expect.arrayContaining([next]));
    expect(handled.map((e) => e.id)).not.toContain(skipped);
    const rows = await ds.query<{ event_id: string }[]>(`SELECT event_id FROM ${SCHEMA}.consumed_events`);
    expect(rows.map((r) => r.event_id)).toContain(next);
    expect(rows.map((r) => r.event_id)).not.toContain(skipped);
  });

  it('publishes as soon as a transaction that appended events commits, without waiting for the poll', async () => {
    const prompt = new OutboxRelay(ds, bus, { schema: SCHEMA, pollMs: 60_000, exclusive: false }, logger);
    const subscriber = new OutboxCommitSubscriber(prompt);
    ds.subscribers.push(subscriber);
    prompt.start();
    try {
      await new Promise((r) => setTimeout(r, 50)); // its first pass, before the commit
      await bus.idle();
      const id = await commit('prompt');
      const deadline = Date.now() + 5000;
      while (!handled.some((e) => e.id === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(handled.map((e) => e.id)).toContain(id);
    } finally {
      ds.subscribers.splice(ds.subscribers.indexOf(subscriber), 1);
      await prompt.stop();
    }
  });

  it('dead-letters poison and failing events, and keeps going', async () => {
    await bus.publish([{ topic: TOPICS.tracking, key: 'p', value: 'not json', headers: {} }]);
    await commit('fail');
    const after = await commit('after');
    await relay.tick();
    await bus.idle();
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.reason])).toEqual([expect.stringMatching(/JSON/), 'refused']);
    expect(handled.map((e) => e.id)).toContain(after);
  });

  it('flushes pending events on shutdown', async () => {
    await commit('late');
    expect(await relay.flush(1000)).toBe(1);
    await bus.close();
    await expect(bus.publish([])).rejects.toThrow(/closed/);
  });
});
