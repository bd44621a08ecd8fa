import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { CloudEvent, deadLetterTopic, TOPICS } from '@cairn/contracts';
import { createTestDatabase, REPO_ROOT, stackEnv, waitFor } from '@cairn/testing';
import { EventConsumer } from './consumer';
import { DLQ_HEADERS } from './dead-letter';
import { createKafka, ensureTopics, KafkaEventPublisher, KafkaEventSubscriber } from './kafka';
import { OutboxWriter, outboxTablesSql } from './outbox';
import { OutboxRelay } from './relay';
import { CE_CONTENT_TYPE } from './transport';

/** Integration: the transactional outbox against a real PostgreSQL and a real Kafka broker (deploy/local). */
const SCHEMA = 'evt';
const TOPIC = TOPICS.tracking;
const logger = pino({ level: 'silent' });
const env = stackEnv();
const brokers = env.CAIRN_KAFKA_BROKERS!.split(',');

let db: { url: string; drop: () => Promise<void> };
let dataSource: DataSource;
let kafka: Kafka;
let publisher: KafkaEventPublisher;
const writer = new OutboxWriter(SCHEMA, '/cairn/test');
const run = randomUUID().slice(0, 8);

function experimentData(id: string) {
  return { experiment_id: id, name: `e-${id}`, artifact_location: `mlflow-artifacts:/${id}` };
}

/** Commits a row and its event in one transaction (or rolls both back). */
async function commitEvent(subject: string, rollback = false): Promise<string> {
  let id = '';
  await dataSource
    .transaction(async (m) => {
      await m.query(`INSERT INTO ${SCHEMA}.things (id) VALUES ($1)`, [subject]);
      id = await writer.append(m, 'cairn.tracking.experiment.created.v1', subject, experimentData(subject));
      if (rollback) throw new Error('roll back');
    })
    .catch((err: Error) => {
      if (!rollback) throw err;
    });
  return id;
}

/** Consumes the topic in a fresh group, recording handled events; `fail` subjects throw. */
async function startConsumer(handled: CloudEvent[], fail: (e: CloudEvent) => boolean = () => false) {
  const subscriber = new KafkaEventSubscriber(kafka, publisher, logger);
  const consumer = new EventConsumer(
    {
      name: `test-${run}-${randomUUID().slice(0, 6)}`,
      topics: [TOPIC],
      dataSource,
      schema: SCHEMA,
      maxAttempts: 3,
      backoffMs: 10,
      handle: async (event) => {
        if (!event.subject.startsWith(run)) return;
        if (fail(event)) throw new Error(`handler refuses ${event.subject}`);
        handled.push(event);
      },
    },
    logger,
  );
  await consumer.start(subscriber);
  return subscriber;
}

/** Reads a topic from the beginning until `match` finds a message, in a throwaway group. */
async function findMessage(topic: string, match: (value: string, headers: Record<string, string>) => boolean) {
  const consumer = kafka.consumer({ groupId: `probe-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let found: { value: string; headers: Record<string, string> } | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = message.value?.toString() ?? '';
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]),
      );
      if (match(value, headers)) found = { value, headers };
    },
  });
  try {
    return await waitFor(`a message on ${topic}`, async () => found, 60000);
  } finally {
    await consumer.disconnect();
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = new DataSource({ type: 'postgres', url: db.url, entities: [] });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA ${SCHEMA}`);
  for (const sql of outboxTablesSql(SCHEMA)) await dataSource.query(sql);
  await dataSource.query(`CREATE TABLE ${SCHEMA}.things (id text PRIMARY KEY)`);
  kafka = createKafka({ brokers, clientId: 'cairn-int-test' }, logger);
  await ensureTopics(kafka, [TOPIC, deadLetterTopic(TOPIC)]);
  publisher = new KafkaEventPublisher(kafka);
});

afterAll(async () => {
  await publisher?.close();
  await dataSource?.destroy();
  await db?.drop();
});

describe('transactional outbox → Kafka', () => {
  let relay: OutboxRelay;
  const handled: CloudEvent[] = [];
  let subscriber: KafkaEventSubscriber;

  beforeAll(async () => {
    relay = new OutboxRelay(dataSource, publisher, { schema: SCHEMA, pollMs: 50, exclusive: true }, logger);
    relay.start();
    subscriber = await startConsumer(handled, (e) => e.subject.includes('fail'));
  });

  afterAll(async () => {
    await relay.stop();
    await subscriber.close();
  });

  it('publishes a committed event with the aggregate id as key and CloudEvents headers', async () => {
    const subject = `${run}-committed`;
    const id = await commitEvent(subject);
    const message = await findMessage(TOPIC, (v) => v.includes(id));
    expect(message.headers['content-type']).toBe(CE_CONTENT_TYPE);
    expect(message.headers.ce_id).toBe(id);
    const event = JSON.parse(message.value) as CloudEvent;
    expect(event).toMatchObject({ specversion: '1.0', id, subject, type: 'cairn.tracking.experiment.created.v1' });
    await waitFor('outbox drained', async () => (await dataSource.query(`SELECT 1 FROM ${SCHEMA}.outbox`)).length === 0);
  });

  it('never publishes the event of a rolled-back transaction', async () => {
    await commitEvent(`${run}-rolled-back`, true);
    const after = await commitEvent(`${run}-after-rollback`);
    await waitFor('the later event handled', async () => handled.some((e) => e.id === after));
    expect(handled.map((e) => e.subject)).not.toContain(`${run}-rolled-back`);
    expect(await dataSource.query(`SELECT id FROM ${SCHEMA}.things WHERE id = $1`, [`${run}-rolled-back`])).toEqual([]);
  });

  it('processes a duplicate delivery once', async () => {
    const id = await commitEvent(`${run}-dup`);
    await waitFor('first delivery handled', async () => handled.some((e) => e.id === id));
    const original = await findMessage(TOPIC, (v) => v.includes(id));
    // Redeliver the very same message, as a relay that crashed before deleting its rows would.
    await publisher.publish([{ topic: TOPIC, key: `${run}-dup`, value: original.value, headers: original.headers }]);
    const marker = await commitEvent(`${run}-dup-marker`);
    await waitFor('the marker after the duplicate handled', async () => handled.some((e) => e.id === marker));
    expect(handled.filter((e) => e.id === id)).toHaveLength(1);
  });

  it('dead-letters a poison message and a failing event, and the partition moves on', async () => {
    const key = `${run}-partition`;
    await publisher.publish([{ topic: TOPIC, key, value: '{"not": "a cloud event"', headers: {} }]);
    const failing = await commitEvent(`${run}-fail`);
    const next = await dataSource.transaction((m) =>
      writer.append(m, 'cairn.tracking.experiment.created.v1', key, experimentData(`${run}-next`)),
    );
    await waitFor('the event after the poison handled', async () => handled.some((e) => e.id === next), 60000);
    const poison = await findMessage(deadLetterTopic(TOPIC), (v) => v === '{"not": "a cloud event"');
    expect(poison.headers[DLQ_HEADERS.reason]).toMatch(/JSON/);
    const failed = await findMessage(deadLetterTopic(TOPIC), (v) => v.includes(failing));
    expect(failed.headers[DLQ_HEADERS.reason]).toMatch(/handler refuses/);
    expect(handled.some((e) => e.id === failing)).toBe(false);
  });
});

describe('Kafka outage', () => {
  const kafkaPidFile = path.join(process.env.CAIRN_STACK_RUN ?? '/tmp/cairn-stack', 'kafka', 'kafka.pid');

  function brokerPid(): number {
    return Number(readFileSync(kafkaPidFile, 'utf8').trim());
  }

  it('delivers an event committed while Kafka was down once it is back', async () => {
    const relay = new OutboxRelay(dataSource, publisher, { schema: SCHEMA, pollMs: 100, exclusive: true }, logger);
    const pid = brokerPid();
    process.kill(pid, 'SIGTERM');
    await waitFor('broker stopped', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 60000);
    try {
      relay.start();
      const id = await commitEvent(`${run}-during-outage`);
      await new Promise((r) => setTimeout(r, 3000));
      const pending = await dataSource.query(`SELECT id FROM ${SCHEMA}.outbox WHERE id = $1`, [id]);
      expect(pending).toHaveLength(1);
      execFileSync('bash', [path.join(REPO_ROOT, 'deploy/local/stack.sh'), 'up', 'kafka'], { stdio: 'ignore' });
      await waitFor('outbox drained after recovery', async () =>
        (await dataSource.query(`SELECT 1 FROM ${SCHEMA}.outbox`)).length === 0, 90000);
      const message = await findMessage(TOPIC, (v) => v.includes(id));
      expect((JSON.parse(message.value) as CloudEvent).subject).toBe(`${run}-during-outage`);
    } finally {
      await relay.stop();
      execFileSync('bash', [path.join(REPO_ROOT, 'deploy/local/stack.sh'), 'up', 'kafka'], { stdio: 'ignore' });
    }
  }, 240000);
});
