import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { stackEnv, waitFor } from '@cairn/testing';
import { createKafka, ensureTopics } from './kafka';
import { requestQueuePrototype } from './kafkajs-idle-timer';

/**
 * Integration (real broker, deploy/local): an idle kafkajs connection no
 * longer re-checks its request queue every millisecond, and requests that do
 * wait in the queue (an idempotent producer allows one in flight) still go out.
 */
const logger = pino({ level: 'silent' });
const brokers = stackEnv().CAIRN_KAFKA_BROKERS!.split(',');
const topic = `cairn.test.idle-timer.${randomUUID().slice(0, 8)}`;

interface Counted {
  checkPendingRequests: (this: unknown) => void;
}

describe('kafkajs request queue timers (real broker)', () => {
  const prototype = requestQueuePrototype() as unknown as Counted;
  const original = prototype.checkPendingRequests;
  let checks = 0;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    prototype.checkPendingRequests = function counted(this: unknown): void {
      checks += 1;
      original.call(this);
    };
    kafka = createKafka({ brokers, clientId: 'cairn-idle-timer-test' }, logger);
    await ensureTopics(kafka, [topic]);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    prototype.checkPendingRequests = original;
  });

  it('does not wake up while the connection is idle', async () => {
    await producer.send({ topic, messages: [{ key: 'k', value: 'first' }] });
    await sleep(100);
    checks = 0;
    await sleep(500);
    // Unpatched kafkajs 2.2.4 checks ~1000 times a second per connection.
    expect(checks).toBeLessThan(10);
  });

  it('still sends requests that had to wait for the one in flight', async () => {
    const values = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    await Promise.all(values.map((value) => producer.send({ topic, messages: [{ key: 'k', value }] })));
    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: `cairn-idle-timer-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.add(message.value?.toString() ?? '');
      },
    });
    try {
      await waitFor('the burst to arrive', async () => values.every((v) => seen.has(v)), 20_000);
    } finally {
      await consumer.disconnect();
    }
    expect(seen.has('first')).toBe(true);
  });
});
