import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import pino from 'pino';
import { HEALTH_PACKAGE, PROTO_LOADER_OPTIONS, PROTO_ROOT, TOPICS } from '@cairn/contracts';
import { createKafka } from '@cairn/events';
import { mlflowApi, searchedAndGotRuns, seedVariedRuns, stackEnv, startDistributedCairn, waitFor } from '@cairn/testing';

/**
 * Distributed mode: each service its own process against the real stack;
 * a request crosses gateway → gRPC → tracking → PostgreSQL, and the outbox
 * event arrives in Kafka carrying the request id.
 */
const SERVICES = ['tracking', 'artifacts', 'registry', 'serving'] as const;

let cairn: Awaited<ReturnType<typeof startDistributedCairn>>;
let base = '';

interface HealthClient extends grpc.Client {
  Check(request: { service: string }, callback: (err: Error | null, res: { status: string }) => void): void;
}

function healthClient(address: string): HealthClient {
  const def = protoLoader.loadSync(
    HEALTH_PACKAGE.files.map((f) => path.join(PROTO_ROOT, f)),
    PROTO_LOADER_OPTIONS,
  );
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient } } };
  };
  return new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

function check(address: string): Promise<string> {
  const client = healthClient(address);
  return new Promise((resolve, reject) =>
    client.Check({ service: '' }, (err: Error | null, res: { status: string }) => {
      client.close();
      return err ? reject(err) : resolve(res.status);
    }),
  );
}

beforeAll(async () => {
  cairn = await startDistributedCairn();
  base = cairn.base;
});

afterAll(async () => {
  await cairn?.stop();
});

describe('distributed mode', () => {
  it('serves the Default experiment from PostgreSQL through gRPC', async () => {
    const res = await fetch(`${base}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { experiment: Record<string, unknown> };
    expect(body.experiment).toMatchObject({
      experiment_id: '0',
      name: 'Default',
      lifecycle_stage: 'active',
      artifact_location: 'mlflow-artifacts:/0',
    });
  });

  it('answers gRPC health checks on every service', async () => {
    for (const svc of SERVICES) expect(await check(`127.0.0.1:${cairn.grpcPorts[svc]}`)).toBe('SERVING');
  });

  it('carries the request id to the response and to the outbox event in Kafka', async () => {
    const requestId = `it-${randomUUID()}`;
    const name = `dist-${randomUUID()}`;
    const res = await fetch(`${base}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const { experiment_id } = (await res.json()) as { experiment_id: string };

    const kafka = createKafka({ brokers: stackEnv().CAIRN_KAFKA_BROKERS!.split(','), clientId: 'dist-test' }, pino({ level: 'silent' }));
    const consumer = kafka.consumer({ groupId: `dist-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.tracking], fromBeginning: true });
    let seen: { key: string; requestId: string; event: Record<string, unknown> } | undefined;
    await consumer.run({
      eachMessage: async ({ message }) => {
        let event: { type?: string; data?: { name?: string } };
        try {
          event = JSON.parse(message.value?.toString() ?? '{}') as typeof event;
        } catch {
          return; // the topic also holds other tests' poison messages
        }
        if (event.type === 'cairn.tracking.experiment.created.v1' && event.data?.name === name) {
          seen = { key: message.key?.toString() ?? '', requestId: message.headers?.['x-request-id']?.toString() ?? '', event };
        }
      },
    });
    try {
      const got = await waitFor('the experiment.created event in Kafka', async () => seen, 60000);
      expect(got.key).toBe(experiment_id);
      expect(got.requestId).toBe(requestId);
      expect(got.event).toMatchObject({ specversion: '1.0', source: '/cairn/tracking', subject: experiment_id });
    } finally {
      await consumer.disconnect();
    }
  });

  it('maps a domain error from the tracking service to MLflow’s body and status', async () => {
    const res = await fetch(`${base}/api/2.0/mlflow/experiments/get?experiment_id=424242`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining('424242') });
  });

  it('renders a search page (PostgreSQL-built JSON) exactly as runs/get renders each run', async () => {
    const api = mlflowApi(base);
    const { experiment_id } = await api.ok<{ experiment_id: string }>('POST', 'experiments/create', { name: `search-json-${randomUUID()}` });
    const made = await seedVariedRuns(api, experiment_id);
    const { searched, got } = await searchedAndGotRuns(api, [experiment_id]);
    expect(searched).toHaveLength(made);
    expect(searched).toEqual(got);
  });

  it('shuts every process down cleanly on SIGTERM', async () => {
    const codes = await Promise.all([...cairn.processes.values()].map((p) => p.stop('SIGTERM')));
    expect(codes).toEqual(codes.map(() => 0));
  });
});
