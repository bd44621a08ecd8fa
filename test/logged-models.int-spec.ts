import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { CairnError, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { createDataSource, runMigrations } from '@cairn/persistence';
import { createTestDatabase, freePort, REPO_ROOT, spawnNode, SpawnedProcess, waitFor } from '@cairn/testing';
import { trackingPersistence } from '../services/tracking/src/persistence';
import { LoggedModelsRepository } from '../services/tracking/src/repositories/logged-models.repository';
import { LoggedModelsService } from '../services/tracking/src/services/logged-models.service';

/**
 * MLflow 3 logged models, end to end: every `/logged-models` route over HTTP
 * against the embedded server (PGlite), bad input included (never a 5xx);
 * then the repository and service on real PostgreSQL and on PGlite directly
 * (metrics linked to models, which no HTTP route writes yet).
 * Run `npm run build` first (the embedded server runs from dist/).
 */

const CLI = path.join(REPO_ROOT, 'bin/cairn.js');

/** MLflow JSON bodies of many shapes; the assertions check them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Reply {
  status: number;
  body: Json;
}

function names(reply: Reply): string[] {
  return (reply.body.models as { info: { name: string } }[]).map((m) => m.info.name);
}

describe('logged models over HTTP (embedded server)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-logged-models-'));
  let proc: SpawnedProcess;
  let base = '';
  const statuses: number[] = [];

  async function call(method: string, route: string, body?: unknown, prefix = '/api/2.0/mlflow'): Promise<Reply> {
    const res = await fetch(`${base}${prefix}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    statuses.push(res.status);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  function expectError(reply: Reply, status: number, code: string, message?: RegExp): void {
    expect({ status: reply.status, code: reply.body?.error_code }).toEqual({ status, code });
    if (message) expect(reply.body.message).toMatch(message);
  }

  let experimentId = '';

  beforeAll(async () => {
    const port = await freePort();
    proc = spawnNode(CLI, ['server', '--port', String(port), '--data-dir', dataDir], { ...process.env, CAIRN_LOG_LEVEL: 'warn' }, REPO_ROOT);
    base = `http://127.0.0.1:${port}`;
    try {
      await waitFor('embedded health', async () => (await fetch(`${base}/health`)).ok, 60000);
    } catch (err) {
      console.error(proc.output());
      await proc.stop('SIGKILL');
      throw err;
    }
    const created = await call('POST', '/experiments/create', { name: 'logged-models-it' });
    expect(created.status).toBe(200);
    experimentId = created.body.experiment_id;
  });

  afterAll(async () => {
    await proc?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    // Bad input must never become a 5xx (the MLflow client retries those for minutes).
    expect(statuses.filter((s) => s >= 500 && s !== 501)).toEqual([]);
    statuses.length = 0;
  });

  it('creates a pending model with MLflow ids, locations and shapes', async () => {
    const reply = await call('POST', '/logged-models', {
      experiment_id: experimentId,
      name: 'my-model',
      model_type: 'agent',
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'core' }],
    });
    expect(reply.status).toBe(200);
    const { info, data } = reply.body.model;
    expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(info).toMatchObject({
      experiment_id: experimentId,
      name: 'my-model',
      model_type: 'agent',
      status: 'LOGGED_MODEL_PENDING',
      artifact_uri: `mlflow-artifacts:/${experimentId}/models/${info.model_id}/artifacts`,
      tags: [{ key: 'team', value: 'core' }],
    });
    expect(typeof info.creation_timestamp_ms).toBe('number');
    expect(info.last_updated_timestamp_ms).toBe(info.creation_timestamp_ms);
    expect(info).not.toHaveProperty('source_run_id');
    expect(data.params).toEqual([{ key: 'lr', value: '0.1' }]);

    const got = await call('GET', `/logged-models/${info.model_id}`);
    expect(got.status).toBe(200);
    expect(got.body.model).toEqual(reply.body.model);
    const ajax = await call('GET', `/logged-models/${info.model_id}`, undefined, '/ajax-api/2.0/mlflow');
    expect(ajax.body.model.info.model_id).toBe(info.model_id);
  });

  it('generates a name when none is given and uses the Default experiment location', async () => {
    const reply = await call('POST', '/logged-models', { experiment_id: '0' });
    expect(reply.status).toBe(200);
    expect(reply.body.model.info.name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(reply.body.model.info.artifact_uri).toMatch(/^mlflow-artifacts:\/0\/models\/m-[0-9a-f]{32}\/artifacts$/);
  });

  it('rejects bad create requests with MLflow error codes', async () => {
    expectError(await call('POST', '/logged-models', {}), 400, 'INVALID_PARAMETER_VALUE', /experiment_id/);
    expectError(await call('POST', '/logged-models', { experiment_id: 5 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', '/logged-models', { experiment_id: 'abc' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', '/logged-models', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST', /No Experiment with id=987654/);
    expectError(await call('POST', '/logged-models', { experiment_id: experimentId, name: 'a/b' }), 400, 'INVALID_PARAMETER_VALUE', /Invalid model name/);
    expectError(await call('POST', '/logged-models', { experiment_id: experimentId, name: 7 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', '/logged-models', { experiment_id: experimentId, params: 'x' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', '/logged-models', { experiment_id: experimentId, params: [{ key: 1, value: 'v' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(
      await call('POST', '/logged-models', { experiment_id: experimentId, params: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await call('POST', '/logged-models', { experiment_id: experimentId, source_run_id: 'f'.repeat(32) }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(await call('POST', '/logged-models', '[1, 2]'), 400, 'BAD_REQUEST');
    expectError(await call('POST', '/logged-models', '{not json'), 400, 'INVALID_PARAMETER_VALUE');
  });

  async function newModel(name: string): Promise<string> {
    const reply = await call('POST', '/logged-models', { experiment_id: experimentId, name });
    expect(reply.status).toBe(200);
    return reply.body.model.info.model_id as string;
  }

  it('answers 404 RESOURCE_DOES_NOT_EXIST for an unknown model on every route', async () => {
    const id = `m-${'0'.repeat(32)}`;
    const message = new RegExp(`Logged model with ID '${id}' not found`);
    expectError(await call('GET', `/logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST', message);
    expectError(await call('PATCH', `/logged-models/${id}`, { model_id: id, status: 'LOGGED_MODEL_READY' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('DELETE', `/logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'a', value: 'b' }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('DELETE', `/logged-models/${id}/tags/a`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('POST', `/logged-models/${id}/params`, { params: [{ key: 'a', value: 'b' }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('GET', `/logged-models/not-a-model-id`), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('finalizes to READY or UPLOAD_FAILED (by name or number) and rejects other statuses', async () => {
    const id = await newModel('finalized');
    const ready = await call('PATCH', `/logged-models/${id}`, { model_id: id, status: 'LOGGED_MODEL_READY' });
    expect(ready.status).toBe(200);
    expect(ready.body.model.info.status).toBe('LOGGED_MODEL_READY');
    expect(ready.body.model.info.last_updated_timestamp_ms).toBeGreaterThanOrEqual(ready.body.model.info.creation_timestamp_ms);
    const failed = await call('PATCH', `/logged-models/${id}`, { status: 3 });
    expect(failed.body.model.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    expectError(await call('PATCH', `/logged-models/${id}`, { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}`, { status: 'LOGGED_MODEL_PENDING' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}`, { status: 9 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}`, { status: true }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}`, {}), 400, 'INVALID_PARAMETER_VALUE', /status/);
  });

  it('sets, overwrites and deletes tags', async () => {
    const id = await newModel('tagged');
    const set = await call('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
    expect(set.status).toBe(200);
    expect(set.body.model.info.tags).toEqual([
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
    ]);
    await call('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'a', value: '3' }] });
    expect((await call('GET', `/logged-models/${id}`)).body.model.info.tags).toEqual([
      { key: 'a', value: '3' },
      { key: 'b', value: '2' },
    ]);
    expect(await call('DELETE', `/logged-models/${id}/tags/a`)).toEqual({ status: 200, body: {} });
    expectError(await call('DELETE', `/logged-models/${id}/tags/a`), 404, 'RESOURCE_DOES_NOT_EXIST', /No tag with key 'a'/);
    expect((await call('GET', `/logged-models/${id}`)).body.model.info.tags).toEqual([{ key: 'b', value: '2' }]);
    expectError(await call('PATCH', `/logged-models/${id}/tags`, { tags: 'x' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: '', value: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', `/logged-models/${id}/tags`, { tags: [{ key: 'k', value: 5 }] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('logs params once (same value again is fine, a new value is rejected)', async () => {
    const id = await newModel('with-params');
    expect(await call('POST', `/logged-models/${id}/params`, { model_id: id, params: [{ key: 'lr', value: '0.1' }] })).toEqual({
      status: 200,
      body: {},
    });
    expect((await call('POST', `/logged-models/${id}/params`, { params: [{ key: 'lr', value: '0.1' }, { key: 'bs', value: '8' }] })).status).toBe(200);
    expectError(
      await call('POST', `/logged-models/${id}/params`, { params: [{ key: 'lr', value: '0.2' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Changing param values is not allowed/,
    );
    expectError(await call('POST', `/logged-models/${id}/params`, { params: [{ key: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expect((await call('GET', `/logged-models/${id}`)).body.model.data.params).toEqual([
      { key: 'bs', value: '8' },
      { key: 'lr', value: '0.1' },
    ]);
  });

  it('soft-deletes: hidden from get and search, deleting again succeeds', async () => {
    const id = await newModel('doomed');
    expect(await call('DELETE', `/logged-models/${id}`, { model_id: id })).toEqual({ status: 200, body: {} });
    expectError(await call('GET', `/logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expect((await call('DELETE', `/logged-models/${id}`)).status).toBe(200);
    const search = await call('POST', '/logged-models/search', { experiment_ids: [experimentId], filter: `name = 'doomed'` });
    expect(search.body.models).toEqual([]);
  });

  it('searches with filters, ordering and opaque page tokens', async () => {
    const exp = (await call('POST', '/experiments/create', { name: 'logged-models-search' })).body.experiment_id as string;
    const ids: string[] = [];
    for (const [name, type] of [['s-a', 'x'], ['s-b', 'y'], ['s-c', 'x']]) {
      const reply = await call('POST', '/logged-models', { experiment_id: exp, name, model_type: type, tags: [{ key: 'k', value: name! }] });
      ids.push(reply.body.model.info.model_id);
      await new Promise((r) => setTimeout(r, 5));
    }
    await call('PATCH', `/logged-models/${ids[1]}`, { status: 'LOGGED_MODEL_READY' });

    const all = await call('POST', '/logged-models/search', { experiment_ids: [exp] });
    expect(all.status).toBe(200);
    expect(names(all)).toEqual(['s-c', 's-b', 's-a']);

    const byType = await call('POST', '/logged-models/search', { experiment_ids: [exp], filter: "model_type = 'x'", order_by: [{ field_name: 'name', ascending: true }] });
    expect(names(byType)).toEqual(['s-a', 's-c']);
    const ready = await call('POST', '/logged-models/search', { experiment_ids: [exp], filter: "status = 'READY'" });
    expect(names(ready)).toEqual(['s-b']);
    const tagged = await call('POST', '/logged-models/search', { experiment_ids: [exp], filter: "tags.k = 's-a'" });
    expect(names(tagged)).toEqual(['s-a']);

    const first = await call('POST', '/logged-models/search', { experiment_ids: [exp], max_results: 2, order_by: [{ field_name: 'name' }] });
    expect(names(first)).toEqual(['s-a', 's-b']);
    expect(first.body.next_page_token).toBeTruthy();
    const second = await call('POST', '/logged-models/search', {
      experiment_ids: [exp],
      max_results: '2',
      order_by: [{ field_name: 'name' }],
      page_token: first.body.next_page_token,
    });
    expect(names(second)).toEqual(['s-c']);
    expect(second.body.next_page_token || undefined).toBeUndefined();

    const bad = (body: unknown): Promise<Reply> => call('POST', '/logged-models/search', body);
    expectError(await bad({}), 400, 'INVALID_PARAMETER_VALUE', /experiment_ids/);
    expectError(await bad({ experiment_ids: exp }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: ['abc'] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], filter: 'name ~ 1' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], max_results: 'many' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], max_results: -1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], datasets: [{ dataset_digest: 'd' }] }), 400, 'INVALID_PARAMETER_VALUE', /dataset_name/);
    expectError(await bad({ experiment_ids: [exp], order_by: [{ field_name: 'params.x' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], order_by: [{ field_name: 'name', ascending: 'up' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await bad({ experiment_ids: [exp], page_token: 'garbage' }), 400, 'INVALID_PARAMETER_VALUE', /Invalid page token/);
  });

  it('lists a logged model’s artifacts, and answers 404 for an unknown model', async () => {
    const reply = await call('GET', `/logged-models/m-${'1'.repeat(32)}/artifacts/directories`);
    expectError(reply, 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

/** The repository and service on a real database: PostgreSQL (the local stack) and PGlite. */
describe.each(['postgres', 'pglite'] as const)('logged models repository on %s', (kind) => {
  let dataSource: DataSource;
  let cleanup: () => Promise<void>;
  let repo: LoggedModelsRepository;
  let service: LoggedModelsService;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await createTestDatabase('cairn_logged_models');
      const config = { kind: 'postgres' as const, url: db.url, poolSize: 4 };
      dataSource = await createDataSource(config, { ...trackingPersistence, applicationName: 'logged-models-it' });
      await runMigrations(dataSource, 'tracking', config);
      cleanup = async () => {
        await dataSource.destroy();
        await db.drop();
      };
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), 'cairn-lm-pglite-'));
      const config = { kind: 'pglite' as const, dataDir: dir };
      dataSource = await createDataSource(config, { ...trackingPersistence, applicationName: 'logged-models-it' });
      await runMigrations(dataSource, 'tracking', config);
      cleanup = async () => {
        await dataSource.destroy();
        rmSync(dir, { recursive: true, force: true });
      };
    }
    repo = new LoggedModelsRepository(dataSource);
    service = new LoggedModelsService(dataSource, repo, new OutboxWriter('tracking', '/cairn/tracking'));
    await dataSource.query(
      `INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
       VALUES (7, 'seven', 's3://bucket/seven/', 'active', 1, 1), (8, 'gone', 'x', 'deleted', 1, 1)`,
    );
    await dataSource.query(
      `INSERT INTO tracking.runs (run_uuid, experiment_id, name, status, start_time, artifact_uri)
       VALUES ($1, 7, 'r', 'RUNNING', 1, 'x')`,
      ['a'.repeat(32)],
    );
  });

  afterAll(async () => cleanup?.());

  function create(overrides: Partial<tracking.CreateLoggedModelRequest> = {}): Promise<tracking.LoggedModel> {
    return service.create({ experiment_id: '7', name: '', model_type: '', source_run_id: '', params: [], tags: [], ...overrides });
  }

  it('creates under the experiment location, links the source run, and writes the event in the same transaction', async () => {
    const model = await create({ name: 'm', source_run_id: 'a'.repeat(32), params: [{ key: 'p', value: '1' }] });
    expect(model.info?.artifact_uri).toBe(`s3://bucket/seven/models/${model.info?.model_id}/artifacts`);
    expect(model.info?.source_run_id).toBe('a'.repeat(32));
    const events = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM tracking.outbox WHERE key = $1 AND event->>'type' = 'cairn.tracking.logged_model.created.v1'`,
      [model.info?.model_id],
    );
    expect(events[0]?.n).toBe(1);
    await expect(create({ experiment_id: '8' })).rejects.toThrow(/must be in the 'active' state/);
  });

  it('records metrics linked to models (deduplicated, NaN kept) and reads them back in get and search', async () => {
    const model = await create({ name: 'metered' });
    const other = await create({ name: 'other' });
    const id = model.info!.model_id;
    const rows = [
      { model_id: id, key: 'acc', value: 0.5, timestamp: 10, step: 0, run_id: 'a'.repeat(32), dataset_name: 'eval', dataset_digest: 'd1' },
      { model_id: id, key: 'acc', value: 0.7, timestamp: 20, step: 1, run_id: 'a'.repeat(32), dataset_name: 'eval', dataset_digest: 'd1' },
      { model_id: id, key: 'loss', value: Number.NaN, timestamp: 20, step: 1, run_id: null },
      { model_id: other.info!.model_id, key: 'acc', value: 0.9, timestamp: 5, step: 0, run_id: 'a'.repeat(32) },
    ];
    await dataSource.transaction((m) => repo.recordModelMetrics(m, rows));
    await dataSource.transaction((m) => repo.recordModelMetrics(m, rows.slice(0, 2)));
    const got = await service.get(id);
    expect(got.data?.metrics.map((x) => [x.key, x.value, x.step, x.dataset_name, x.model_id])).toEqual([
      ['acc', 0.5, 0, 'eval', id],
      ['acc', 0.7, 1, 'eval', id],
      ['loss', Number.NaN, 1, undefined, id],
    ]);
    const byAcc = await service.search({
      experiment_ids: ['7'],
      filter: 'metrics.acc > 0.6',
      datasets: [],
      max_results: 10,
      order_by: [{ field_name: 'metrics.acc', ascending: false, dataset_name: '', dataset_digest: '' }],
      page_token: '',
    });
    expect(byAcc.models.map((x) => x.info?.name)).toEqual(['other', 'metered']);
    const onEval = await service.search({
      experiment_ids: ['7'],
      filter: '',
      datasets: [{ dataset_name: 'eval', dataset_digest: '' }],
      max_results: 0,
      order_by: [],
      page_token: '',
    });
    expect(onEval.models.map((x) => x.info?.name)).toEqual(['metered']);

    const unknown = await dataSource
      .transaction((m) => repo.recordModelMetrics(m, [{ ...rows[0]!, model_id: 'm-nope' }]))
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(CairnError);
    expect((unknown as CairnError).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('keeps params immutable and tags upserted under concurrent writers', async () => {
    const id = (await create({ name: 'concurrent' })).info!.model_id;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        Promise.all([
          service.setTags(id, [{ key: 'shared', value: String(i) }]),
          service.logParams(id, [{ key: `p${i}`, value: String(i) }, { key: 'same', value: 'v' }]),
        ]),
      ),
    );
    const got = await service.get(id);
    expect(got.data?.params).toHaveLength(9);
    expect(got.info?.tags).toHaveLength(1);
    await service.deleteTag(id, 'shared');
    await expect(service.deleteTag(id, 'shared')).rejects.toThrow(/No tag with key 'shared'/);
  });
});
