import { mlflowApi, RunningCairn, searchedAndGotRuns, seedVariedRuns, startEmbeddedCairn } from '@cairn/testing';

/**
 * The runs and metrics REST API end to end (gateway → gRPC → tracking →
 * PGlite), on the embedded server: `npm run build` first.
 */

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface RunJson {
  info: { run_id: string; run_name: string; status: string; lifecycle_stage: string; artifact_uri: string; end_time?: number; experiment_id: string };
  data: { metrics: { key: string; value: unknown; step: number }[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] };
  inputs: { dataset_inputs: { tags: { key: string; value: string }[]; dataset: { name: string } }[]; model_inputs: { model_id: string }[] };
  outputs: { model_outputs: { model_id: string; step: number }[] };
}

interface MetricJson {
  key: string;
  value: unknown;
  step: number;
  timestamp: number;
  run_id?: string;
}

let api: ReturnType<typeof mlflowApi>;

function call(method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return api.call(method, route, body, headers);
}

function ok(method: 'GET' | 'POST', route: string, body?: unknown): Promise<Record<string, unknown>> {
  return api.ok(method, route, body);
}

async function createRun(experimentId: string, extra: Record<string, unknown> = {}): Promise<RunJson> {
  return (await ok('POST', 'runs/create', { experiment_id: experimentId, start_time: Date.now(), ...extra })).run as RunJson;
}

async function getRun(runId: string): Promise<RunJson> {
  return (await ok('GET', `runs/get?run_id=${runId}`)).run as RunJson;
}

async function history(runId: string, key: string, extra = ''): Promise<{ metrics: MetricJson[]; next_page_token?: string }> {
  return (await ok('GET', `metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}${extra}`)) as {
    metrics: MetricJson[];
    next_page_token?: string;
  };
}

const series = (key: string, from: number, count: number, value = (s: number) => s / 10) =>
  Array.from({ length: count }, (_, i) => ({ key, value: value(from + i), timestamp: 1_700_000_000_000 + from + i, step: from + i }));

async function expectError(answer: Promise<Answer>, status: number, code: string, message?: RegExp): Promise<void> {
  const { status: got, body } = await answer;
  expect({ status: got, code: body.error_code }).toEqual({ status, code });
  if (message) expect(String(body.message)).toMatch(message);
}

let experimentId = '';

let cairn: RunningCairn;

beforeAll(async () => {
  cairn = await startEmbeddedCairn();
  api = mlflowApi(cairn.base);
  experimentId = String((await ok('POST', 'experiments/create', { name: `runs-${Date.now()}` })).experiment_id);
});

afterAll(async () => {
  await cairn?.stop();
});

describe('runs lifecycle', () => {
  it('creates, gets, updates, deletes and restores a run', async () => {
    const run = await createRun(experimentId, { user_id: 'ann', tags: [{ key: 'team', value: 'a' }] });
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${run.info.run_id}/artifacts`);
    expect(run.info.status).toBe('RUNNING');
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.runName', value: run.info.run_name }, { key: 'team', value: 'a' }]));

    const byUuid = (await ok('GET', `runs/get?run_uuid=${run.info.run_id}`)).run as RunJson;
    expect(byUuid.info.run_id).toBe(run.info.run_id);

    const updated = (await ok('POST', 'runs/update', { run_uuid: run.info.run_id, status: 'FINISHED', end_time: 123, run_name: 'renamed' }))
      .run_info as RunJson['info'];
    expect(updated).toMatchObject({ status: 'FINISHED', end_time: 123, run_name: 'renamed' });
    expect((await getRun(run.info.run_id)).data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });
    await ok('POST', 'runs/set-tag', { run_id: run.info.run_id, key: 'mlflow.runName', value: 'by-tag' });
    expect((await getRun(run.info.run_id)).info.run_name).toBe('by-tag');

    await ok('POST', 'runs/delete', { run_id: run.info.run_id });
    expect((await getRun(run.info.run_id)).info.lifecycle_stage).toBe('deleted');
    await expectError(call('POST', 'runs/log-parameter', { run_id: run.info.run_id, key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    await expectError(call('POST', 'runs/log-batch', { run_id: run.info.run_id, metrics: series('m', 0, 3) }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    await expectError(call('POST', 'runs/log-metric', { run_id: run.info.run_id, key: 'm', value: 1, timestamp: 1, step: 9 }), 400, 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
    await expectError(call('POST', 'runs/log-batch', { run_id: 'f'.repeat(32), metrics: series('m', 0, 3) }), 404, 'RESOURCE_DOES_NOT_EXIST', /Run with id=f{32} not found/);
    await expectError(call('POST', 'runs/update', { run_id: run.info.run_id, status: 'KILLED' }), 400, 'INVALID_PARAMETER_VALUE');
    await ok('POST', 'runs/restore', { run_id: run.info.run_id });
    expect((await getRun(run.info.run_id)).info.lifecycle_stage).toBe('active');
    // Nothing of the refused metric writes was stored.
    expect((await getRun(run.info.run_id)).data.metrics ?? []).toEqual([]);
    expect((await ok('GET', `metrics/get-history?run_id=${run.info.run_id}&metric_key=m`)).metrics ?? []).toEqual([]);
    await ok('POST', 'runs/log-parameter', { run_id: run.info.run_id, key: 'k', value: 'v' });
  });

  it('uses the experiment artifact location and refuses a mismatched run name tag', async () => {
    const { experiment_id } = (await ok('POST', 'experiments/create', { name: `s3-${Date.now()}`, artifact_location: 's3://bucket/prefix' })) as {
      experiment_id: string;
    };
    const run = await createRun(experiment_id, { run_name: 'given' });
    expect(run.info.artifact_uri).toBe(`s3://bucket/prefix/${run.info.run_id}/artifacts`);
    expect(run.info.run_name).toBe('given');
    await expectError(
      call('POST', 'runs/create', { experiment_id, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    await expectError(call('POST', 'runs/create', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('logging', () => {
  it('logs through every endpoint; NaN and ±Infinity round-trip as protobuf JSON strings', async () => {
    const run = await createRun(experimentId);
    const id = run.info.run_id;
    await ok('POST', 'runs/log-metric', { run_id: id, key: 'nan', value: 'NaN', timestamp: 1, step: 0 });
    await ok('POST', 'runs/log-metric', { run_uuid: id, key: 'inf', value: 'Infinity', timestamp: 1 });
    await ok('POST', 'runs/log-metric', { run_id: id, key: 'ninf', value: '-Infinity', timestamp: '2', step: '3' });
    await ok('POST', 'runs/log-metric', { run_id: id, key: 'plain', value: 0.5, timestamp: 1, step: 1 });
    await ok('POST', 'runs/log-metric', { run_id: id, key: 'plain', value: 0.25, timestamp: 2, step: 0 });
    await ok('POST', 'runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' });
    await ok('POST', 'runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' });
    await expectError(call('POST', 'runs/log-parameter', { run_id: id, key: 'lr', value: '0.2' }), 400, 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
    await ok('POST', 'runs/set-tag', { run_id: id, key: 'gone', value: 'x' });
    await ok('POST', 'runs/delete-tag', { run_id: id, key: 'gone' });
    await expectError(call('POST', 'runs/delete-tag', { run_id: id, key: 'gone' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const dataset = { name: 'ds', digest: 'abc123', source_type: 'local', source: '{"uri": "x"}', schema: '{}' };
    await ok('POST', 'runs/log-inputs', {
      run_id: id,
      datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset }],
      models: [{ model_id: 'm-in' }],
    });
    await ok('POST', 'runs/log-inputs', { run_id: id, datasets: [{ dataset }] });
    await ok('POST', 'runs/outputs', { run_id: id, models: [{ model_id: 'm-out', step: 7 }] });

    const got = await getRun(id);
    const values = Object.fromEntries(got.data.metrics.map((m) => [m.key, m.value]));
    expect(values).toEqual({ nan: 'NaN', inf: 'Infinity', ninf: '-Infinity', plain: 0.5 });
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(got.data.tags.find((t) => t.key === 'gone')).toBeUndefined();
    expect(got.inputs.dataset_inputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: expect.objectContaining({ name: 'ds' }) }]);
    expect(got.inputs.model_inputs).toEqual([{ model_id: 'm-in' }]);
    expect(got.outputs.model_outputs).toEqual([{ model_id: 'm-out', step: 7 }]);
    expect((await history(id, 'nan')).metrics).toEqual([{ key: 'nan', value: 'NaN', timestamp: 1, step: 0 }]);

    const found = (await ok('POST', 'runs/search', { experiment_ids: [experimentId], filter: "datasets.context = 'train'" })).runs as RunJson[];
    expect(found.map((r) => r.info.run_id)).toEqual([id]);
  });

  it('search pages render every run exactly as runs/get does', async () => {
    const { experiment_id } = await ok('POST', 'experiments/create', { name: `search-json-${Date.now()}` });
    const made = await seedVariedRuns(api, String(experiment_id));
    const { searched, got } = await searchedAndGotRuns(api, [String(experiment_id)]);
    expect(searched).toHaveLength(made);
    expect(searched).toEqual(got);
  });

  it('log-batch accepts each limit and rejects one past it without writing anything', async () => {
    const id = (await createRun(experimentId)).info.run_id;
    const params = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: 'v' }));
    await ok('POST', 'runs/log-batch', { run_id: id, metrics: series('full', 0, 1000) });
    await ok('POST', 'runs/log-batch', { run_id: id, params: params(100, 'p') });
    await ok('POST', 'runs/log-batch', { run_id: id, tags: params(100, 't') });
    await ok('POST', 'runs/log-batch', { run_id: id, metrics: series('mixed', 0, 800), params: params(100, 'q'), tags: params(100, 'u') });

    const rejected: [unknown, RegExp][] = [
      [{ metrics: series('over', 0, 1001) }, /at most 1000 metrics. Got 1001 metrics/],
      [{ metrics: series('over', 0, 1), params: params(101, 'over') }, /at most 100 params. Got 101 params/],
      [{ metrics: series('over', 0, 1), tags: params(101, 'over') }, /at most 100 tags. Got 101 tags/],
      [{ metrics: series('over', 0, 900), params: params(100, 'over'), tags: params(1, 'over') }, /at most 1000 metrics, params, and tags. Got 1001/],
      // A changed param fails the whole batch: the metrics and tags beside it are not written.
      [{ metrics: series('over', 0, 10), params: [{ key: 'p0', value: 'changed' }], tags: params(1, 'over') }, /Changing param values is not allowed/],
      [{ metrics: [...series('over', 0, 10), { key: '../up', value: 1, timestamp: 1, step: 0 }] }, /Invalid metric name: '..\/up'/],
    ];
    for (const [body, message] of rejected) {
      await expectError(call('POST', 'runs/log-batch', { run_id: id, ...(body as object) }), 400, 'INVALID_PARAMETER_VALUE', message);
    }
    const run = await getRun(id);
    expect(run.data.metrics.map((m) => m.key).sort()).toEqual(['full', 'mixed']);
    expect(run.data.params).toHaveLength(200);
    expect(run.data.params.find((p) => p.key === 'p0')?.value).toBe('v');
    expect(run.data.tags.filter((t) => t.key.startsWith('over'))).toEqual([]);
    expect((await history(id, 'over')).metrics).toEqual([]);
    expect((await history(id, 'full')).metrics).toHaveLength(1000);
  });
});

describe('bad requests answer 4xx with an error code, never 5xx', () => {
  it.each([
    ['malformed JSON', () => call('POST', 'runs/log-metric', '{"run_id": ', {}), 400, 'INVALID_PARAMETER_VALUE'],
    ['a JSON array body', () => call('POST', 'runs/log-batch', []), 400, 'BAD_REQUEST'],
    ['text/plain', () => call('POST', 'runs/create', 'x', { 'content-type': 'text/plain' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['a value of the wrong type', () => call('POST', 'runs/log-metric', { run_id: 'a'.repeat(32), key: 'k', value: 'abc', timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE'],
    ['a timestamp of the wrong type', () => call('POST', 'runs/log-metric', { run_id: 'a'.repeat(32), key: 'k', value: 1, timestamp: 'x' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['tags not a list', () => call('POST', 'runs/create', { experiment_id: '0', tags: 'x' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['a missing run id', () => call('POST', 'runs/log-parameter', { key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['an unknown run', () => call('GET', `runs/get?run_id=${'0'.repeat(32)}`), 404, 'RESOURCE_DOES_NOT_EXIST'],
    ['a malformed run id', () => call('GET', 'runs/get?run_id=..%2F..%2Fetc'), 400, 'INVALID_PARAMETER_VALUE'],
    ['writes to an unknown run', () => call('POST', 'runs/set-tag', { run_id: 'f'.repeat(32), key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST'],
    ['an unknown experiment id in search', () => call('POST', 'runs/search', { experiment_ids: ['nope'] }), 400, 'INVALID_PARAMETER_VALUE'],
    ['a bad filter', () => call('POST', 'runs/search', { experiment_ids: ['0'], filter: 'metrics.x >>> 1' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['max_results over 50000', () => call('POST', 'runs/search', { experiment_ids: ['0'], max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE'],
    ['a forged page token', () => call('POST', 'runs/search', { experiment_ids: ['0'], page_token: 'abc' }), 400, 'INVALID_PARAMETER_VALUE'],
    ['bulk interval without run ids', () => call('GET', 'metrics/get-history-bulk-interval?metric_key=m'), 400, 'INVALID_PARAMETER_VALUE'],
    ['bulk interval max_results 0', () => call('GET', `metrics/get-history-bulk-interval?run_ids=${'a'.repeat(32)}&metric_key=m&max_results=0`), 400, 'INVALID_PARAMETER_VALUE'],
    ['bulk interval max_results 2501', () => call('GET', `metrics/get-history-bulk-interval?run_ids=${'a'.repeat(32)}&metric_key=m&max_results=2501`), 400, 'INVALID_PARAMETER_VALUE'],
    ['bulk interval start without end', () => call('GET', `metrics/get-history-bulk-interval?run_ids=${'a'.repeat(32)}&metric_key=m&start_step=1`), 400, 'INVALID_PARAMETER_VALUE'],
    ['history page token of another key', () => call('GET', `metrics/get-history?run_id=${'a'.repeat(32)}&metric_key=m&page_token=eyJ9`), 400, 'INVALID_PARAMETER_VALUE'],
  ])('%s', async (_name, request, status, code) => {
    await expectError(request(), status, code);
  });

  it('rejects over-long and path-like keys and values', async () => {
    const id = (await createRun(experimentId)).info.run_id;
    for (const key of ['../x', '/abs', 'a/../b', 'a//b', 'bad\\key', 'k'.repeat(251), '']) {
      await expectError(call('POST', 'runs/log-parameter', { run_id: id, key, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      await expectError(call('POST', 'runs/set-tag', { run_id: id, key, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      await expectError(call('POST', 'runs/log-metric', { run_id: id, key, value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
    }
    // Over-long values are cut to the limit, as MLflow's server does by default.
    await ok('POST', 'runs/log-parameter', { run_id: id, key: 'long', value: 'x'.repeat(6001) });
    await ok('POST', 'runs/set-tag', { run_id: id, key: 'long', value: 'y'.repeat(8001) });
    await expectError(
      call('POST', 'runs/log-inputs', { run_id: id, datasets: [{ dataset: { name: 'd', digest: 'x'.repeat(37), source_type: 's', source: 's' } }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    await ok('POST', 'runs/log-parameter', { run_id: id, key: 'k', value: 'x'.repeat(6000) });
    await ok('POST', 'runs/set-tag', { run_id: id, key: 'dir/sub.key-1 :x', value: 'x'.repeat(8000) });
  });
});

describe('search over more than 1000 runs', () => {
  const N = 1020;
  let searchExperiment = '';

  beforeAll(async () => {
    searchExperiment = String((await ok('POST', 'experiments/create', { name: `search-${Date.now()}` })).experiment_id);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const i = next++;
          const run = await createRun(searchExperiment, { start_time: 1_600_000_000_000 + i, run_name: `run-${i}` });
          await ok('POST', 'runs/log-batch', {
            run_id: run.info.run_id,
            metrics: [
              { key: 'score', value: i, timestamp: 1, step: 0 },
              { key: 'loss', value: i % 2 === 0 ? 'NaN' : 1 / (i + 1), timestamp: 1, step: 0 },
            ],
            params: [{ key: 'mod', value: String(i % 10) }],
            tags: [{ key: 'parity', value: i % 2 === 0 ? 'even' : 'odd' }],
          });
        }
      }),
    );
  });

  async function searchAll(body: Record<string, unknown>, pageSize: number): Promise<RunJson[]> {
    const all: RunJson[] = [];
    let token: string | undefined;
    do {
      const page = await ok('POST', 'runs/search', { experiment_ids: [searchExperiment], max_results: pageSize, ...body, page_token: token });
      all.push(...(page.runs as RunJson[]));
      token = page.next_page_token as string | undefined;
    } while (token);
    return all;
  }

  it('pages through every run in the default order (start_time DESC)', async () => {
    const first = await ok('POST', 'runs/search', { experiment_ids: [searchExperiment] });
    expect(first.runs as RunJson[]).toHaveLength(1000);
    expect(first.next_page_token).toBeTruthy();
    const all = await searchAll({}, 400);
    expect(all).toHaveLength(N);
    expect(new Set(all.map((r) => r.info.run_id)).size).toBe(N);
    expect(all[0]?.info.run_name).toBe(`run-${N - 1}`);
    expect(all[N - 1]?.info.run_name).toBe('run-0');
    const metrics = Object.fromEntries((all[0]?.data.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics).toEqual({ score: N - 1, loss: 1 / N });
  });

  it('filters and orders by metrics, params and tags', async () => {
    const top = (await ok('POST', 'runs/search', {
      experiment_ids: [searchExperiment],
      filter: "metrics.score >= 1000 and params.mod = '3' and tags.parity = 'odd'",
      order_by: ['metrics.score ASC'],
    })).runs as RunJson[];
    expect(top.map((r) => r.info.run_name)).toEqual(['run-1003', 'run-1013']);
    const byLoss = await searchAll({ filter: 'metrics.loss < 0.01', order_by: ['metrics.loss DESC'] }, 100);
    expect(byLoss.length).toBe(Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === 1 && 1 / (i + 1) < 0.01).length);
    const losses = byLoss.map((r) => r.data.metrics.find((m) => m.key === 'loss')?.value as number);
    expect(losses).toEqual([...losses].sort((a, b) => b - a));
    const names = await searchAll({ filter: "attributes.run_name LIKE 'run-10%'", order_by: ['params.mod DESC', 'attributes.run_name ASC'] }, 1000);
    expect(names[0]?.info.run_name).toBe('run-1009');
  });

  it('hides deleted runs unless asked for them', async () => {
    const [victim] = (await ok('POST', 'runs/search', { experiment_ids: [searchExperiment], max_results: 1 })).runs as RunJson[];
    await ok('POST', 'runs/delete', { run_id: victim?.info.run_id });
    const active = await ok('POST', 'runs/search', { experiment_ids: [searchExperiment], max_results: 1 });
    expect((active.runs as RunJson[])[0]?.info.run_id).not.toBe(victim?.info.run_id);
    const deleted = await ok('POST', 'runs/search', { experiment_ids: [searchExperiment], run_view_type: 'DELETED_ONLY' });
    expect((deleted.runs as RunJson[]).map((r) => r.info.run_id)).toEqual([victim?.info.run_id]);
    expect(((await ok('POST', 'runs/search', { experiment_ids: [searchExperiment], run_view_type: 'ALL', max_results: 2000 })).runs as RunJson[]).length).toBe(N);
  });
});

describe('metric history', () => {
  let runA = '';
  let runB = '';

  beforeAll(async () => {
    runA = (await createRun(experimentId)).info.run_id;
    runB = (await createRun(experimentId)).info.run_id;
    for (let from = 0; from < 2500; from += 1000) {
      await ok('POST', 'runs/log-batch', { run_id: runA, metrics: series('curve', from, Math.min(1000, 2500 - from)) });
    }
    await ok('POST', 'runs/log-batch', { run_id: runB, metrics: series('curve', 0, 5) });
  });

  it('pages a history with keyset tokens, in step order', async () => {
    const steps: number[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await history(runA, 'curve', `&max_results=1000${token ? `&page_token=${token}` : ''}`);
      steps.push(...page.metrics.map((m) => m.step));
      token = page.next_page_token ?? '';
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(steps).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect((await history(runA, 'curve')).metrics).toHaveLength(2500);
    expect((await history('0'.repeat(32), 'curve')).metrics).toEqual([]);
  });

  it('answers get-history-bulk for several runs (both prefixes)', async () => {
    const answer = await ok('GET', `metrics/get-history-bulk?run_id=${runB}&run_id=${runA}&metric_key=curve&max_results=3000`);
    const metrics = answer.metrics as MetricJson[];
    expect(metrics).toHaveLength(2505);
    const firstRun = [runA, runB].sort()[0];
    expect(metrics[0]?.run_id).toBe(firstRun);
    const ajax = await fetch(`${cairn.base}/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=${runB}&metric_key=curve`);
    expect(((await ajax.json()) as { metrics: unknown[] }).metrics).toHaveLength(5);
  });

  it('samples get-history-bulk-interval evenly, keeping the first and last points', async () => {
    const sampled = (await ok('GET', `metrics/get-history-bulk-interval?run_ids=${runA}&run_ids=${runB}&metric_key=curve&max_results=100`))
      .metrics as MetricJson[];
    const a = sampled.filter((m) => m.run_id === runA).map((m) => m.step);
    const b = sampled.filter((m) => m.run_id === runB).map((m) => m.step);
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a.length).toBeGreaterThan(90);
    expect(a[0]).toBe(0);
    expect(a[a.length - 1]).toBe(2499);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(b).toEqual([0, 1, 2, 3, 4]);

    const ranged = (await ok('GET', `metrics/get-history-bulk-interval?run_ids=${runA}&metric_key=curve&max_results=10&start_step=100&end_step=199`))
      .metrics as MetricJson[];
    expect(ranged.map((m) => m.step)).toEqual([100, 111, 122, 133, 144, 155, 166, 177, 188, 199]);
    const last = (await ok('GET', `metrics/get-history-bulk-interval?run_ids=${runA}&metric_key=curve&max_results=1`)).metrics as MetricJson[];
    expect(last.map((m) => m.step)).toEqual([2499]);
  });
});
