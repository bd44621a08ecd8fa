import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import * as path from 'node:path';
import { createTestDatabase, freePort, REPO_ROOT, spawnNode, SpawnedProcess, stackEnv, waitFor } from '@cairn/testing';

/**
 * Webhooks end to end in distributed mode: a registry transition → the
 * registry's outbox → Kafka → the gateway's consumer group → a durable
 * delivery → a real HTTP receiver on 127.0.0.1 that verifies both signature
 * schemes; the receiver down for a while (retried, then delivered); a
 * gateway killed mid-delivery (another replica finishes it); and, with the
 * allow-list off, private targets refused at creation and at connect time.
 */
const SERVICES = ['tracking', 'artifacts', 'registry', 'serving'] as const;
const ADMIN = 'root';
const ADMIN_PW = 'root-pw';
const AUTH = `Basic ${Buffer.from(`${ADMIN}:${ADMIN_PW}`).toString('base64')}`;
const MLFLOW_SECRET = 'mlflow-secret-1';
const REGISTRY_SECRET = 'registry-secret-2';

let db: { url: string; drop: () => Promise<void> };
const services = new Map<string, SpawnedProcess>();
const gateways: SpawnedProcess[] = [];
let env: NodeJS.ProcessEnv = {};
let base = '';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  validSignature: boolean;
}

/** The test's webhook receiver: records requests, verifies signatures, can be down, slow, or hang. */
class Receiver {
  readonly got: Received[] = [];
  /** Requests left hanging (mode 'hang'): deliveries in flight. */
  readonly hung: { path: string; headers: IncomingHttpHeaders; json: Record<string, unknown> }[] = [];
  mode: 'ok' | 'hang' = 'ok';
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.mode === 'hang') {
          this.hung.push({ path: req.url ?? '', headers: req.headers, json: JSON.parse(body) as Record<string, unknown> });
          return; // never answers
        }
        this.got.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown>, validSignature: verify(req.url ?? '', req.headers, body) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }
}

function verify(p: string, headers: IncomingHttpHeaders, body: string): boolean {
  if (p.startsWith('/mlflow')) {
    const id = String(headers['x-mlflow-delivery-id']);
    const ts = String(headers['x-mlflow-timestamp']);
    const expected = `v1,${createHmac('sha256', MLFLOW_SECRET).update(`${id}.${ts}.${body}`).digest('base64')}`;
    return headers['x-mlflow-signature'] === expected && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
  }
  return headers['x-databricks-signature'] === createHmac('sha256', REGISTRY_SECRET).update(body).digest('hex');
}

async function startGateway(extra: Record<string, string>): Promise<string> {
  const port = await freePort();
  const main = path.join(REPO_ROOT, 'dist/services/gateway/src/main.js');
  const proc = spawnNode(main, [], { ...env, CAIRN_PORT: String(port), ...extra }, REPO_ROOT);
  gateways.push(proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('gateway health', async () => (await fetch(`${url}/health`)).ok, 60000);
  } catch (err) {
    console.error(proc.output());
    throw err;
  }
  return url;
}

async function api<T = Record<string, unknown>>(method: string, route: string, body?: unknown, at = base): Promise<{ status: number; body: T }> {
  const isQuery = method === 'GET' || method === 'DELETE';
  const url = `${at}${route.startsWith('/') ? route : `/api/2.0/mlflow/${route}`}${isQuery && body ? `?${new URLSearchParams(body as Record<string, string>).toString()}` : ''}`;
  const res = await fetch(url, {
    method,
    headers: { authorization: AUTH, ...(isQuery || body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: isQuery || body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function ok<T = Record<string, unknown>>(p: Promise<{ status: number; body: T }>): Promise<T> {
  const r = await p;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

interface Delivery {
  delivery_id: string;
  event: string;
  status: string;
  attempts: number;
  attempt_log: { attempt: number; status_code?: number; error?: string; latency_ms: number; response_snippet?: string }[];
}

const deliveries = async (webhookId: string): Promise<Delivery[]> =>
  (await ok(api<{ deliveries: Delivery[] }>('GET', `/api/2.0/cairn/webhooks/${webhookId}/deliveries`, { max_results: '100' }))).deliveries;

/** A model_version.created delivery of MLflow's scheme for `version`. */
const isVersionCreated = (r: { path: string; json: Record<string, unknown> }, version: string): boolean =>
  r.path === '/mlflow' && r.json.entity === 'model_version' && r.json.action === 'created' && (r.json.data as { version?: string }).version === version;

const receiver = new Receiver();
const run = Date.now().toString(36);
const model = `wh-model-${run}`;
let mlflowHook = '';
let registryHook = '';

beforeAll(async () => {
  const main = (svc: string) => path.join(REPO_ROOT, 'dist/services', svc, 'src/main.js');
  if (!existsSync(main('gateway'))) throw new Error('run `npm run build` first (dist/ is missing)');
  db = await createTestDatabase();
  const grpcPorts: Record<string, number> = {};
  for (const svc of SERVICES) grpcPorts[svc] = await freePort();
  env = {
    ...process.env,
    ...stackEnv(),
    CAIRN_MODE: 'distributed',
    CAIRN_DATABASE_URL: db.url,
    CAIRN_LOG_LEVEL: 'warn',
    CAIRN_OUTBOX_POLL_MS: '50',
    CAIRN_AUTH: 'on',
    CAIRN_ADMIN_USERNAME: ADMIN,
    CAIRN_ADMIN_PASSWORD: ADMIN_PW,
    CAIRN_SECRET_KEY: 'a-test-secret-key-of-enough-length',
    CAIRN_WEBHOOK_BACKOFF_MS: '300',
    CAIRN_WEBHOOK_MAX_ATTEMPTS: '12',
    CAIRN_WEBHOOK_TIMEOUT_MS: '1500',
    CAIRN_TRACKING_GRPC_URL: `127.0.0.1:${grpcPorts.tracking}`,
    CAIRN_ARTIFACTS_GRPC_URL: `127.0.0.1:${grpcPorts.artifacts}`,
    CAIRN_REGISTRY_GRPC_URL: `127.0.0.1:${grpcPorts.registry}`,
    CAIRN_SERVING_GRPC_URL: `127.0.0.1:${grpcPorts.serving}`,
  };
  for (const svc of SERVICES) {
    services.set(svc, spawnNode(main(svc), [], { ...env, CAIRN_GRPC_LISTEN: `127.0.0.1:${grpcPorts[svc]}` }, REPO_ROOT));
  }
  await receiver.start();
  try {
    base = await startGateway({ CAIRN_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' });
    await waitFor('the registry answers through the gateway', async () => (await api('GET', 'registered-models/search')).status === 200, 60000);
  } catch (err) {
    for (const [name, p] of services) console.error(`--- ${name} ---\n${p.output()}`);
    throw err;
  }
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
  await Promise.all([...services.values()].map((p) => p.stop()));
  await receiver.stop();
  await db?.drop();
});

describe('webhooks (distributed, Kafka)', () => {
  it('creates webhooks in both APIs, secrets never shown', async () => {
    const created = await ok(
      api<{ webhook: { webhook_id: string; events: unknown[]; status: string } }>('POST', 'webhooks', {
        name: 'ci',
        url: receiver.url('/mlflow'),
        secret: MLFLOW_SECRET,
        events: [
          { entity: 'MODEL_VERSION', action: 'CREATED' },
          { entity: 'model_version_stage', action: 'transitioned' },
          { entity: 'RUN', action: 'FINISHED' },
        ],
      }),
    );
    mlflowHook = created.webhook.webhook_id;
    expect(created.webhook).toMatchObject({ status: 'ACTIVE', events: expect.arrayContaining([{ entity: 'MODEL_VERSION', action: 'CREATED' }]) });
    expect(JSON.stringify(created)).not.toContain(MLFLOW_SECRET);
    await ok(api('POST', 'registered-models/create', { name: model }));
    const reg = await ok(
      api<{ webhook: { id: string; model_name: string; http_url_spec: Record<string, unknown> } }>('POST', 'registry-webhooks/create', {
        model_name: model,
        events: ['MODEL_VERSION_TRANSITIONED_STAGE', 'TRANSITION_REQUEST_CREATED', 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION'],
        http_url_spec: { url: receiver.url('/registry'), secret: REGISTRY_SECRET, authorization: 'Bearer jenkins-token' },
      }),
    );
    registryHook = reg.webhook.id;
    expect(reg.webhook.http_url_spec).toEqual({ url: receiver.url('/registry'), enable_ssl_verification: true });
    const listed = await ok(api<{ webhooks: { id: string }[] }>('GET', 'registry-webhooks/list', { model_name: model }));
    expect(listed.webhooks.map((w) => w.id)).toEqual([registryHook]);
  });

  it('delivers registry events through Kafka, signed in both schemes', async () => {
    await ok(api('POST', 'model-versions/create', { name: model, source: 's3://b/wh/1' }));
    await ok(api('POST', 'transition-requests/create', { name: model, version: '1', stage: 'Staging', comment: 'please' }));
    await ok(api('POST', 'transition-requests/approve', { name: model, version: '1', stage: 'Staging', archive_existing_versions: false }));
    const mine = (p: string, event: string) =>
      receiver.got.filter((r) => r.path === p && (r.json.event === event || `${String(r.json.entity)}.${String(r.json.action)}` === event));
    await waitFor('all deliveries', async () =>
      mine('/mlflow', 'model_version.created').length >= 1 &&
      mine('/mlflow', 'model_version_stage.transitioned').length >= 1 &&
      mine('/registry', 'TRANSITION_REQUEST_CREATED').length >= 1 &&
      mine('/registry', 'MODEL_VERSION_TRANSITIONED_STAGE').length >= 1, 60000);
    expect(receiver.got.every((r) => r.validSignature)).toBe(true);
    const created = mine('/mlflow', 'model_version.created')[0]!;
    expect(created.json).toMatchObject({ entity: 'model_version', action: 'created', data: { name: model, version: '1', source: 's3://b/wh/1' } });
    expect(created.headers['x-mlflow-delivery-id']).toBe(created.headers['x-cairn-delivery-id']);
    const requested = mine('/registry', 'TRANSITION_REQUEST_CREATED')[0]!;
    expect(requested.json).toMatchObject({ webhook_id: registryHook, model_name: model, version: '1', to_stage: 'Staging', from_stage: 'None', comment: 'please', user_id: ADMIN });
    expect(typeof requested.json.event_timestamp).toBe('number');
    expect(requested.json.text).toEqual(expect.stringContaining(model));
    expect(requested.headers.authorization).toBe('Bearer jenkins-token');
    const moved = mine('/registry', 'MODEL_VERSION_TRANSITIONED_STAGE')[0]!;
    expect(moved.json).toMatchObject({ from_stage: 'None', to_stage: 'Staging', version: '1' });
    // The model-scoped webhook saw nothing of other models, and TO_PRODUCTION did not fire for Staging.
    expect(receiver.got.filter((r) => r.path === '/registry' && r.json.model_name !== model)).toEqual([]);
    expect(mine('/registry', 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION')).toEqual([]);
    // The receiver answers before the gateway records the attempt: wait until no delivery is pending.
    let log: Delivery[] = [];
    await waitFor('attempts recorded', async () => {
      log = await deliveries(registryHook);
      return log.length >= 2 && log.every((d) => d.status !== 'pending');
    }, 30000);
    expect(log.every((d) => d.status === 'delivered' && d.attempts === 1 && d.attempt_log[0]?.status_code === 200)).toBe(true);
    expect(log[0]?.attempt_log[0]?.response_snippet).toBe('thanks');
  });

  it('delivers Cairn’s run-finished event from tracking', async () => {
    const exp = await ok(api<{ experiment_id: string }>('POST', 'experiments/create', { name: `wh-exp-${run}` }));
    const created = await ok(api<{ run: { info: { run_id: string } } }>('POST', 'runs/create', { experiment_id: exp.experiment_id }));
    const runId = created.run.info.run_id;
    await ok(api('POST', 'runs/log-metric', { run_id: runId, key: 'acc', value: 0.9, timestamp: Date.now(), step: 1 }));
    await ok(api('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() }));
    const got = await waitFor('run.finished', async () =>
      receiver.got.find((r) => r.json.entity === 'run' && (r.json.data as { run_id?: string }).run_id === runId), 60000);
    expect(got.json.data).toMatchObject({ experiment_id: exp.experiment_id, status: 'FINISHED', metrics: [expect.objectContaining({ key: 'acc', value: 0.9 })] });
    expect(got.validSignature).toBe(true);
  });

  it('retries while the receiver is down, then delivers, with every attempt logged and one delivery id', async () => {
    const port = receiver.port;
    await receiver.stop();
    await ok(api('POST', 'databricks/model-versions/transition-stage', { name: model, version: '1', stage: 'Production', archive_existing_versions: false }));
    const failing = await waitFor('failed attempts logged', async () => {
      const d = (await deliveries(registryHook)).find((x) => x.event === 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION');
      return d && d.attempts >= 2 ? d : undefined;
    }, 60000);
    expect(failing.status).toBe('pending');
    expect(failing.attempt_log[0]?.error).toMatch(/ECONNREFUSED/);
    await receiver.start(port);
    const done = await waitFor('delivered after the outage', async () => {
      const d = (await deliveries(registryHook)).find((x) => x.delivery_id === failing.delivery_id);
      return d?.status === 'delivered' ? d : undefined;
    }, 60000);
    expect(done.attempts).toBeGreaterThan(2);
    expect(done.attempt_log.at(-1)?.status_code).toBe(200);
    const received = receiver.got.filter((r) => r.json.event === 'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION');
    expect(received.map((r) => r.headers['x-cairn-delivery-id'])).toEqual([failing.delivery_id]);
    expect(received[0]?.validSignature).toBe(true);
    // Redelivery on request: the same delivery id again (receivers de-duplicate on it).
    await ok(api('POST', `/api/2.0/cairn/webhooks/deliveries/${failing.delivery_id}/redeliver`));
    await waitFor('redelivered', async () => receiver.got.filter((r) => r.headers['x-cairn-delivery-id'] === failing.delivery_id).length === 2, 30000);
  });

  it('fires TEST_MODE webhooks only through `test`', async () => {
    const hook = await ok(
      api<{ webhook: { id: string } }>('POST', 'registry-webhooks/create', {
        model_name: model,
        status: 'TEST_MODE',
        events: ['MODEL_VERSION_CREATED'],
        http_url_spec: { url: receiver.url('/registry-test'), secret: REGISTRY_SECRET },
      }),
    );
    const tested = await ok(api<{ status_code: number; body: string }>('POST', 'registry-webhooks/test', { id: hook.webhook.id }));
    expect(tested).toMatchObject({ status_code: 200, body: 'thanks' });
    await ok(api('POST', 'model-versions/create', { name: model, source: 's3://b/wh/2' }));
    const mlflowTest = await ok(api<{ result: { success: boolean; response_status: number } }>('POST', `webhooks/${mlflowHook}/test`, {}));
    expect(mlflowTest.result).toMatchObject({ success: true, response_status: 200 });
    await waitFor('model_version.created of v2', async () =>
      receiver.got.some((r) => r.json.entity === 'model_version' && (r.json.data as { version?: string }).version === '2'), 60000);
    expect(receiver.got.filter((r) => r.path === '/registry-test').map((r) => r.json.event)).toEqual(['MODEL_VERSION_CREATED']);
  });

  it('loses nothing when a gateway dies mid-delivery: another replica finishes it after the lease', async () => {
    // Earlier tests leave deliveries in back-off (the outage retried the MLflow-scheme hook too): let them land first.
    await waitFor('no delivery pending', async () =>
      (await Promise.all([mlflowHook, registryHook].map(deliveries))).flat().every((d) => d.status !== 'pending'), 60000);
    receiver.mode = 'hang';
    await ok(api('POST', 'model-versions/create', { name: model, source: 's3://b/wh/3' }));
    const inFlight = (await waitFor('the delivery in flight at the receiver', async () => receiver.hung.find((r) => isVersionCreated(r, '3')), 60000)).headers;
    // Killed while the POST is in flight: no attempt is recorded, the row stays claimed until its lease runs out.
    await gateways[0]!.stop('SIGKILL');
    receiver.mode = 'ok';
    base = await startGateway({ CAIRN_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' });
    const claimed = (await ok(api<{ deliveries: Delivery[] }>('GET', `/api/2.0/cairn/webhooks/${mlflowHook}/deliveries`, { status: 'pending' }))).deliveries;
    expect(claimed.map((d) => d.delivery_id)).toContain(inFlight['x-cairn-delivery-id']);
    const got = await waitFor('v3 delivered by the new replica', async () => receiver.got.find((r) => isVersionCreated(r, '3')), 60000);
    expect(got.validSignature).toBe(true);
    expect(got.headers['x-cairn-delivery-id']).toBe(inFlight['x-cairn-delivery-id']);
  });

  it('with the allow-list off, refuses private targets at creation and when connecting', async () => {
    await gateways[gateways.length - 1]!.stop('SIGTERM');
    base = await startGateway({ CAIRN_WEBHOOK_ALLOW_PRIVATE: '' });
    for (const url of [receiver.url('/x'), `http://localhost:${receiver.port}/x`, 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/x', 'http://10.1.2.3/x']) {
      const refused = await api('POST', 'registry-webhooks/create', { model_name: model, events: ['MODEL_VERSION_CREATED'], http_url_spec: { url } });
      expect({ url, status: refused.status, code: refused.body.error_code }).toEqual({ url, status: 400, code: 'INVALID_PARAMETER_VALUE' });
    }
    // The webhooks created earlier point at 127.0.0.1: this replica refuses the connection itself.
    const before = receiver.got.length;
    const deadBefore = new Set((await deliveries(mlflowHook)).filter((x) => x.status === 'dead').map((x) => x.delivery_id));
    await ok(api('POST', 'model-versions/create', { name: model, source: 's3://b/wh/4' }));
    const dead = await waitFor('v4 refused', async () =>
      (await deliveries(mlflowHook)).find((x) => x.status === 'dead' && !deadBefore.has(x.delivery_id)), 60000);
    expect(dead.attempts).toBe(1);
    expect(dead.attempt_log[0]?.error).toMatch(/SSRF/);
    expect(receiver.got.filter((r) => isVersionCreated(r, '4'))).toEqual([]);
    expect(receiver.got.length).toBe(before);
  });
});
