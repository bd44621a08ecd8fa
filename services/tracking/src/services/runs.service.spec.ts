import { EntityManager } from 'typeorm';
import { jsonBody, MetricColumnsReader, MetricInput, toMetricColumns, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { pgInt8Array, pgTextArray } from '@cairn/persistence';
import { LoggedModelsRepository } from '../repositories/logged-models.repository';
import { historyColumns, MetricsRepository } from '../repositories/metrics.repository';
import { KeyValue, NewRun, RunChildren, RunRow, RunsRepository } from '../repositories/runs.repository';
import { decodeHistoryToken, encodeHistoryToken, MetricsService, metricsJson, sampleSteps } from './metrics.service';
import { generateRunName, newRunId, prepareMetrics, runArtifactUri, RunsService, toRunMessages } from './runs.service';
import { rejectionOf } from '@cairn/testing';

const tx = { tag: 'tx' } as unknown as EntityManager;
const reader = { tag: 'reader' } as unknown as EntityManager;
const RUN_ID = '0123456789abcdef0123456789abcdef';

function runRow(overrides: Partial<RunRow> = {}): RunRow {
  return {
    run_uuid: RUN_ID,
    run_key: 7,
    experiment_id: 1,
    name: 'run',
    user_id: 'u',
    status: 'RUNNING',
    start_time: 10,
    end_time: null,
    lifecycle_stage: 'active',
    artifact_uri: `mlflow-artifacts:/1/${RUN_ID}/artifacts`,
    deleted_time: null,
    ...overrides,
  };
}

const noChildren = (): RunChildren => ({ metrics: [], params: [], tags: [], datasets: [], modelInputs: [], modelOutputs: [] });

type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<R, A> : T[K] };

function setup(metricWriteConcurrency = 2) {
  const runs: Partial<Mocked<RunsRepository>> & { reader: EntityManager } = {
    reader,
    transaction: jest.fn(async <T>(work: (m: EntityManager) => Promise<T>) => work(tx)),
    findExperiment: jest.fn().mockResolvedValue({ lifecycle_stage: 'active', artifact_location: 'mlflow-artifacts:/1' }),
    insertRun: jest.fn(async (_m: EntityManager, run: NewRun, _tags: KeyValue[]) => runRow({ run_uuid: run.run_uuid, name: run.name, artifact_uri: run.artifact_uri })),
    findRun: jest.fn().mockResolvedValue(runRow()),
    findRuns: jest.fn().mockResolvedValue([runRow()]),
    loadRuns: jest.fn(async (_m: EntityManager, ids: readonly string[]) => ({ rows: ids.map((id) => runRow({ run_uuid: id })), children: noChildren() })),
    updateRun: jest.fn(async (_m, _id, changes) => runRow({ status: changes.status ?? 'RUNNING', end_time: changes.end_time ?? null })),
    setLifecycle: jest.fn().mockResolvedValue(true),
    insertParams: jest.fn().mockResolvedValue([]),
    upsertTags: jest.fn().mockResolvedValue(undefined),
    renameRun: jest.fn().mockResolvedValue(undefined),
    deleteTag: jest.fn().mockResolvedValue(true),
    logDatasetInputs: jest.fn().mockResolvedValue(undefined),
    insertModelInputs: jest.fn().mockResolvedValue(undefined),
    upsertModelOutputs: jest.fn().mockResolvedValue(undefined),
    latestMetrics: jest.fn().mockResolvedValue([]),
    searchRunIds: jest.fn().mockResolvedValue([]),
    runsJson: jest.fn(async (_m: EntityManager, ids: readonly string[]) => ids.map((id) => JSON.stringify({ info: { run_id: id } }))),
  };
  const metrics: Partial<Mocked<MetricsRepository>> = {
    insertHistory: jest.fn().mockResolvedValue(undefined),
    upsertLatest: jest.fn().mockResolvedValue(undefined),
    appendToActiveRun: jest.fn().mockResolvedValue(true),
    history: jest.fn().mockResolvedValue([]),
    bulkHistory: jest.fn().mockResolvedValue([]),
    bounds: jest.fn().mockResolvedValue([]),
    rangeRows: jest.fn().mockResolvedValue([]),
    probe: jest.fn().mockResolvedValue([]),
    keyIds: jest.fn(async (_m: EntityManager, keys: readonly string[]) => keyIdsOf(keys)),
  };
  const outbox = { append: jest.fn().mockResolvedValue('event-id') };
  const loggedModels = { recordModelMetrics: jest.fn().mockResolvedValue(undefined) };
  const service = new RunsService(
    runs as unknown as RunsRepository,
    metrics as unknown as MetricsRepository,
    loggedModels as unknown as LoggedModelsRepository,
    outbox as unknown as OutboxWriter,
    { metricWriteConcurrency },
  );
  const metricsService = new MetricsService(runs as unknown as RunsRepository, metrics as unknown as MetricsRepository);
  return { runs, metrics, loggedModels, outbox, service, metricsService };
}

const metric = (key: string, value: number, step = 0, timestamp = 1): tracking.Metric => ({ key, value, step, timestamp });
/** prepareMetrics of these metrics, with keyIdsOf's ids. */
const prepare = (metrics: readonly MetricInput[]) => {
  const batch = new MetricColumnsReader(toMetricColumns(metrics));
  return prepareMetrics(batch, keyIdsOf(batch.keyNames));
};
/** Key ids as the mocked MetricsRepository.keyIds gives them: the key's position in the sorted keys, from 1. */
const keyIdsOf = (keys: readonly string[]) => new Map([...new Set(keys)].sort().map((key, i) => [key, i + 1]));

describe('RunsService.create', () => {
  const base: tracking.CreateRunRequest = { experiment_id: '1', user_id: 'u', run_name: '', start_time: 5, tags: [] };

  it('generates a name, adds the run name tag, builds the artifact uri, emits run.created', async () => {
    const { runs, outbox, service } = setup();
    const run = await service.create(base);
    expect(run.info?.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(run.info?.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info?.artifact_uri).toBe(`mlflow-artifacts:/1/${run.info?.run_id}/artifacts`);
    const tags = runs.insertRun?.mock.calls[0]?.[2];
    expect(tags).toEqual([{ key: 'mlflow.runName', value: run.info?.run_name }]);
    expect(outbox.append).toHaveBeenCalledWith(tx, 'cairn.tracking.run.created.v1', run.info?.run_id, expect.objectContaining({ experiment_id: '1', start_time: 5 }));
  });

  it('takes the name from the mlflow.runName tag, and rejects a different run_name', async () => {
    const { runs, service } = setup();
    await service.create({ ...base, tags: [{ key: 'mlflow.runName', value: 'tagged' }] });
    expect(runs.insertRun?.mock.calls[0]?.[1].name).toBe('tagged');
    const e = await rejectionOf(service.create({ ...base, run_name: 'other', tags: [{ key: 'mlflow.runName', value: 'tagged' }] }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/Both 'run_name' argument and 'mlflow.runName' tag/);
  });

  it('refuses a missing or deleted experiment', async () => {
    const { runs, service } = setup();
    runs.findExperiment?.mockResolvedValueOnce(undefined);
    expect((await rejectionOf(service.create(base))).code).toBe('RESOURCE_DOES_NOT_EXIST');
    runs.findExperiment?.mockResolvedValueOnce({ lifecycle_stage: 'deleted', artifact_location: 'x' });
    expect((await rejectionOf(service.create(base))).message).toMatch(/must be in the 'active' state/);
    expect((await rejectionOf(service.create({ ...base, experiment_id: 'abc' }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('defaults start_time to now', async () => {
    const { runs, service } = setup();
    const before = Date.now();
    await service.create({ ...base, start_time: undefined });
    expect(runs.insertRun?.mock.calls[0]?.[1].start_time).toBeGreaterThanOrEqual(before);
  });
});

describe('RunsService writes', () => {
  it('logs a batch in one transaction with one statement per kind', async () => {
    const { runs, metrics, loggedModels, service } = setup();
    await service.logBatch({
      run_id: RUN_ID,
      metrics: toMetricColumns([metric('a', 1, 0), metric('a', 2, 1), metric('b', Number.NaN, 0), metric('a', 2, 1)]),
      params: [{ key: 'p', value: '1' }],
      tags: [{ key: 't', value: '1' }, { key: 't', value: '2' }],
    });
    expect(runs.transaction).toHaveBeenCalledTimes(1);
    expect(runs.findRun).toHaveBeenCalledTimes(1);
    expect(metrics.insertHistory?.mock.calls[0]?.[2]?.count).toBe(3); // exact duplicate dropped
    expect(metrics.upsertLatest?.mock.calls[0]?.[2]).toEqual([
      { key: 'a', value: 2, step: 1, timestamp: 1, is_nan: false },
      { key: 'b', value: 0, step: 0, timestamp: 1, is_nan: true },
    ]);
    expect(runs.upsertTags?.mock.calls[0]?.[2]).toEqual([{ key: 't', value: '2' }]);
    expect(loggedModels.recordModelMetrics).toHaveBeenCalledWith(expect.anything(), []);
  });

  it('appends first, and writes again skipping stored rows when the unique index refuses a duplicate', async () => {
    const { runs, metrics, service } = setup();
    // A new request each time: logBatch lets go of a request's metrics.
    const withParam = () => ({ run_id: RUN_ID, metrics: toMetricColumns([metric('a', 1)]), params: [{ key: 'p', value: '1' }], tags: [] });
    metrics.insertHistory?.mockRejectedValueOnce(Object.assign(new Error('duplicate key value'), { code: '23505' }));
    await service.logBatch(withParam());
    expect(runs.transaction).toHaveBeenCalledTimes(2);
    expect(metrics.insertHistory?.mock.calls.map((c) => c[3])).toEqual(['append', 'skip-existing']);
    metrics.insertHistory?.mockRejectedValueOnce(Object.assign(new Error('other'), { code: '23503' }));
    await expect(service.logBatch(withParam())).rejects.toThrow('other');
    expect(metrics.insertHistory).toHaveBeenCalledTimes(3);
  });

  it('writes metrics alone with one statement outside a transaction, retried the same way on a duplicate', async () => {
    const { runs, metrics, service } = setup();
    const request = { run_id: RUN_ID, metrics: toMetricColumns([metric('a', 1, 0), metric('a', 2, 1), metric('a', 2, 1)]), params: [], tags: [] };
    await service.logBatch(request);
    expect(request.metrics).toBeUndefined(); // let go once prepared (the gRPC call holds the request until the answer)
    expect(runs.transaction).not.toHaveBeenCalled();
    const [manager, runId, rows, latest, mode] = metrics.appendToActiveRun?.mock.calls[0] ?? [];
    expect({ manager, runId, rows: rows?.count, latest, mode }).toEqual({
      manager: reader,
      runId: RUN_ID,
      rows: 2, // exact duplicate dropped
      latest: [{ key: 'a', value: 2, step: 1, timestamp: 1, is_nan: false }],
      mode: 'append',
    });
    metrics.appendToActiveRun?.mockRejectedValueOnce(Object.assign(new Error('duplicate key value'), { code: '23505' }));
    await service.logMetric({ run_id: RUN_ID, key: 'a', value: 1, timestamp: 1, step: 0 });
    expect(metrics.appendToActiveRun?.mock.calls.map((c) => c[4])).toEqual(['append', 'append', 'skip-existing']);
    expect(runs.transaction).not.toHaveBeenCalled();
    // A metric linked to a logged model goes through the transaction (the model's metrics are recorded too).
    await service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([{ ...metric('a', 3), model_id: 'm-1' }]), params: [], tags: [] });
    expect(runs.transaction).toHaveBeenCalledTimes(1);
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(3);
  });

  it('runs at most metricWriteConcurrency metric writes at once, the others in turn; other writes do not wait', async () => {
    const { metrics, runs, service } = setup(2);
    const pending: (() => void)[] = [];
    metrics.appendToActiveRun?.mockImplementation(() => new Promise<boolean>((resolve) => pending.push(() => resolve(true))));
    const batch = (step: number) => service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([metric('a', 1, step)]), params: [], tags: [] });
    const settled: number[] = [];
    const calls = [0, 1, 2, 3].map((i) => batch(i).then(() => settled.push(i)));
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    await flush();
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(2);
    await service.setTag({ run_id: RUN_ID, key: 't', value: 'v' }); // no metrics: not admitted through the limit
    expect(runs.upsertTags).toHaveBeenCalledTimes(1);
    pending.shift()?.();
    await flush();
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(3);
    expect(metrics.appendToActiveRun?.mock.calls.map((c) => c[2].params[1])).toEqual([0, 1, 2].map((step) => pgInt8Array([step])));
    while (pending.length > 0) {
      pending.shift()?.();
      await flush();
    }
    await Promise.all(calls);
    expect(settled).toEqual([0, 1, 2, 3]);
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(4);
  });

  it('does not limit metric writes when metricWriteConcurrency is 0', async () => {
    const { metrics, service } = setup(0);
    const pending: (() => void)[] = [];
    metrics.appendToActiveRun?.mockImplementation(() => new Promise<boolean>((resolve) => pending.push(() => resolve(true))));
    const calls = [0, 1, 2, 3].map((i) => service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([metric('a', 1, i)]), params: [], tags: [] }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(4);
    pending.forEach((release) => release());
    await Promise.all(calls);
  });

  it('rejects a changed param and writes nothing else', async () => {
    const { runs, metrics, service } = setup();
    runs.insertParams?.mockResolvedValue([{ key: 'p', old_value: '1', new_value: '2' }]);
    const e = await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([metric('a', 1)]), params: [{ key: 'p', value: '2' }], tags: [] }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toContain("Params were already logged='[{'key': 'p', 'old_value': '1', 'new_value': '2'}]'");
    expect(metrics.insertHistory).not.toHaveBeenCalled();
    const single = await rejectionOf(service.logParam({ run_id: RUN_ID, key: 'p', value: '2' }));
    expect(single.message).toMatch(/Param with key='p' was already logged with value='1'/);
  });

  it('applies the batch limits with MLflow messages, before touching the database', async () => {
    const { runs, metrics, service } = setup();
    const many = (n: number) => Array.from({ length: n }, (_, i) => metric(`m${i}`, i));
    await service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns(many(1000)), params: [], tags: [] });
    const e = await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns(many(1001)), params: [], tags: [] }));
    expect(e.message).toBe(
      'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
    );
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    expect((await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([]), params, tags: [] }))).message).toMatch(/at most 100 params/);
    const total = await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns(many(950)), params: params.slice(0, 51), tags: [] }));
    expect(total.message).toMatch(/at most 1000 metrics, params, and tags. Got 1001/);
    const dupes = await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: toMetricColumns([]), params: [{ key: 'p', value: '1' }, { key: 'p', value: '1' }], tags: [] }));
    expect(dupes.message).toMatch(/Duplicate parameter keys have been submitted: \['p'\]/);
    expect(metrics.appendToActiveRun).toHaveBeenCalledTimes(1); // only the valid batch
    expect(runs.transaction).not.toHaveBeenCalled();
  });

  it('validates keys and values', async () => {
    const { service } = setup();
    for (const key of ['../x', '/abs', 'a/../b', 'bad*char', '', '.', 'k'.repeat(251)]) {
      expect((await rejectionOf(service.logParam({ run_id: RUN_ID, key, value: '1' }))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    await service.logParam({ run_id: RUN_ID, key: 'température', value: '1' });
    expect((await rejectionOf(service.logMetric({ run_id: RUN_ID, key: 'k', value: 1, timestamp: -1, step: 0 }))).message).toMatch(/invalid timestamp/);
    expect((await rejectionOf(service.logMetric({ run_id: 'bad id!', key: 'k', value: 1, timestamp: 1, step: 0 }))).message).toMatch(/Invalid run ID/);
  });

  it('cuts over-long param and tag values to MLflow’s limits, as its server does', async () => {
    const { runs, service } = setup();
    await service.logBatch({
      run_id: RUN_ID,
      metrics: toMetricColumns([]),
      params: [{ key: 'p', value: 'x'.repeat(6001) }],
      tags: [{ key: 't', value: 'y'.repeat(8001) }],
    });
    expect(runs.insertParams?.mock.calls[0]?.[2]).toEqual([{ key: 'p', value: 'x'.repeat(6000) }]);
    expect(runs.upsertTags?.mock.calls[0]?.[2]).toEqual([{ key: 't', value: 'y'.repeat(8000) }]);
  });

  it('refuses writes to unknown and deleted runs', async () => {
    const { runs, metrics, service } = setup();
    runs.findRun?.mockResolvedValueOnce(undefined);
    const missing = await rejectionOf(service.setTag({ run_id: RUN_ID, key: 'k', value: 'v' }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    // The one-statement metric path stores nothing for a run that is not active; the transaction then says why.
    metrics.appendToActiveRun?.mockResolvedValueOnce(false);
    runs.findRun?.mockResolvedValueOnce(runRow({ lifecycle_stage: 'deleted' }));
    const deleted = await rejectionOf(service.logMetric({ run_id: RUN_ID, key: 'k', value: 1, timestamp: 1, step: 0 }));
    expect(metrics.insertHistory).not.toHaveBeenCalled();
    expect(deleted.code).toBe('INVALID_PARAMETER_VALUE');
    expect(deleted.message).toBe(`The run ${RUN_ID} must be in the 'active' state. Current state is deleted.`);
  });

  it('renames the run when the run name tag is set', async () => {
    const { runs, service } = setup();
    await service.setTag({ run_id: RUN_ID, key: 'mlflow.runName', value: 'new' });
    expect(runs.renameRun).toHaveBeenCalledWith(tx, RUN_ID, 'new');
  });

  it('emits run.finished once when the status becomes terminal, NaN metrics as null', async () => {
    const { runs, outbox, service } = setup();
    runs.latestMetrics?.mockResolvedValue([{ run_uuid: RUN_ID, key: 'm', value: 0, timestamp: 1, step: 2, is_nan: true }]);
    await service.update({ run_id: RUN_ID, status: 'FINISHED', end_time: 20, run_name: '' });
    expect(outbox.append).toHaveBeenCalledWith(
      tx,
      'cairn.tracking.run.finished.v1',
      RUN_ID,
      expect.objectContaining({ status: 'FINISHED', end_time: 20, latest_metrics: [{ key: 'm', value: null, step: 2, timestamp: 1 }] }),
    );
    runs.findRun?.mockResolvedValueOnce(runRow({ status: 'FINISHED' }));
    await service.update({ run_id: RUN_ID, status: 'FINISHED', end_time: 21, run_name: '' });
    expect(outbox.append).toHaveBeenCalledTimes(1);
    expect((await rejectionOf(service.update({ run_id: RUN_ID, status: 'DONE', run_name: '' }))).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('dedupes dataset inputs by (name, digest), keeping the context tag', async () => {
    const { runs, service } = setup();
    const dataset = { name: 'd', digest: 'x', source_type: 'local', source: '{}' };
    await service.logInputs({
      run_id: RUN_ID,
      datasets: [
        { tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset },
        { tags: [], dataset },
      ],
      models: [{ model_id: 'm-1' }, { model_id: 'm-1' }],
    });
    const [, , experimentId, datasets, links] = runs.logDatasetInputs?.mock.calls[0] ?? [];
    expect(experimentId).toBe(1);
    expect(datasets).toHaveLength(1);
    expect(links).toEqual([{ name: 'd', digest: 'x', tags: [{ key: 'mlflow.data.context', value: 'train' }], context: 'train' }]);
    expect(runs.insertModelInputs).toHaveBeenCalledWith(tx, RUN_ID, ['m-1']);
    const bad = await rejectionOf(service.logInputs({ run_id: RUN_ID, datasets: [{ tags: [], dataset: { ...dataset, digest: 'x'.repeat(37) } }], models: [] }));
    expect(bad.message).toMatch(/digest/);
  });
});

describe('RunsService reads', () => {
  it('get: not found, and the full run', async () => {
    const { runs, service } = setup();
    runs.loadRuns?.mockResolvedValueOnce({ rows: [], children: noChildren() });
    expect((await rejectionOf(service.get(RUN_ID))).message).toBe(`Run with id=${RUN_ID} not found`);
    runs.loadRuns?.mockResolvedValueOnce({
      rows: [runRow()],
      children: {
        ...noChildren(),
        metrics: [{ run_uuid: RUN_ID, key: 'm', value: 0, timestamp: 1, step: 1, is_nan: true }],
        params: [{ run_uuid: RUN_ID, key: 'p', value: '1' }],
        modelOutputs: [{ run_uuid: RUN_ID, model_id: 'm-1', step: 3 }],
      },
    });
    const run = await service.get(RUN_ID);
    expect(run.data?.metrics[0]?.value).toBeNaN();
    expect(run.data?.params).toEqual([{ key: 'p', value: '1' }]);
    expect(run.outputs?.model_outputs).toEqual([{ model_id: 'm-1', step: 3 }]);
    expect(run.info?.end_time).toBeUndefined();
  });

  it('search: pages with a token, loads the page in one batch', async () => {
    const { runs, service } = setup();
    const ids = ['a', 'b', 'c'].map((c) => c.repeat(32));
    runs.searchRunIds?.mockResolvedValue(ids);
    const page = async (page_token: string, filter = '') => {
      const response = await service.search({ experiment_ids: ['1'], filter, run_view_type: '', max_results: 2, order_by: [], page_token });
      return JSON.parse(Buffer.from(response.json).toString()) as { runs: { info: { run_id: string } }[]; next_page_token?: string };
    };
    const first = await page('');
    expect(first.runs.map((r) => r.info.run_id)).toEqual(ids.slice(0, 2));
    const token = first.next_page_token ?? '';
    expect(token).not.toBe('');
    expect(runs.runsJson).toHaveBeenCalledWith(reader, ids.slice(0, 2));
    const sql = runs.searchRunIds?.mock.calls[0]?.[1]?.sql ?? '';
    expect(sql).toMatch(/LIMIT/);
    runs.searchRunIds?.mockResolvedValue([]);
    expect(await page(token)).toEqual({ runs: [] });
    expect(runs.searchRunIds?.mock.calls[1]?.[1]?.params).toContain(2); // offset
    const other = await rejectionOf(page(token, 'x'));
    expect(other.message).toBe('Invalid page token');
    expect((await rejectionOf(service.search({ experiment_ids: ['1'], filter: '', run_view_type: 'NOPE', max_results: 0, order_by: [], page_token: '' }))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect((await rejectionOf(service.search({ experiment_ids: ['1'], filter: '', run_view_type: '', max_results: 50001, order_by: [], page_token: '' }))).code).toBe(
      'INVALID_PARAMETER_VALUE',
    );
  });
});

describe('helpers', () => {
  it('generates MLflow-style names and ids', () => {
    for (let i = 0; i < 50; i++) expect(generateRunName().length).toBeLessThanOrEqual(20);
    expect(newRunId()).toMatch(/^[0-9a-f]{32}$/);
    expect(runArtifactUri('s3://bucket/path/', 'r')).toBe('s3://bucket/path/r/artifacts');
  });

  it('prepareMetrics: links go with their rows; a row linked to a logged model is also returned as linked', () => {
    const prepared = prepare([
      { ...metric('a', 1, 0), model_id: 'm-1', dataset_name: 'd', dataset_digest: 'x' },
      metric('b', 2, 0),
      { ...metric('c', 3, 0), dataset_name: 'e' },
    ]);
    expect(prepared.history.params[0]).toEqual(pgInt8Array([1, 2, 3])); // the rows' key ids
    expect(prepared.history.params.slice(5)).toEqual([pgTextArray(['m-1', null, null]), pgTextArray(['d', null, 'e']), pgTextArray(['x', null, null])]);
    expect(prepared.linked).toEqual([{ key: 'a', value: 1, timestamp: 1, step: 0, is_nan: false, model_id: 'm-1', dataset_name: 'd', dataset_digest: 'x' }]);
    expect(prepare([metric('b', 2, 0)]).history.params.slice(5)).toEqual([null, null, null]);
  });

  it('refuses metric columns of different lengths, nothing written', async () => {
    const { metrics, runs, service } = setup();
    const columns = toMetricColumns([metric('a', 1), metric('b', 2)]);
    const brokenColumns = [
      { ...columns, steps: Buffer.alloc(8) },
      { ...columns, model_ids: ['m-1'] },
      { ...columns, values: Buffer.alloc(24) },
      { ...columns, key_indices: Buffer.alloc(7) },
      { ...columns, key_names: ['a'] }, // metric 1's key index is 1
    ];
    for (const broken of brokenColumns) {
      const e = await rejectionOf(service.logBatch({ run_id: RUN_ID, metrics: broken, params: [], tags: [] }));
      expect(e).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/^Malformed metric columns/) });
    }
    expect(metrics.appendToActiveRun).not.toHaveBeenCalled();
    expect(runs.transaction).not.toHaveBeenCalled();
  });

  it('prepareMetrics: drops exactly the rows identical to an earlier one (-0 is 0, NaN is NaN), in any batch size', () => {
    // A reference by string identity; values from a small set so that many rows repeat.
    const pool = [0, -0, 1, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 52 + 1];
    let seed = 7;
    const next = (k: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % k;
    };
    for (const size of [1, 10, 999, 1000, 3000]) {
      const batch = Array.from({ length: size }, () => metric(`k${next(3)}`, pool[next(pool.length)]!, next(4) * 2 ** 40, 1 + next(3)));
      const seen = new Set<string>();
      const kept = batch.filter((m) => {
        const id = `${m.key}|${m.step}|${m.timestamp}|${Number.isNaN(m.value) ? 'nan' : m.value + 0}`;
        return seen.has(id) ? false : (seen.add(id), true);
      });
      const ids = keyIdsOf(batch.map((m) => m.key));
      const expected = historyColumns({
        key_ids: kept.map((m) => ids.get(m.key)!),
        steps: kept.map((m) => m.step),
        timestamps: kept.map((m) => m.timestamp),
        values: kept.map((m) => (Number.isNaN(m.value) ? 0 : m.value)),
        nans: kept.map((m) => Number.isNaN(m.value)),
        model_ids: null,
        dataset_names: null,
        dataset_digests: null,
      });
      expect(prepare(batch).history).toEqual(expected);
    }
  });

  it('prepareMetrics: latest is max step, then timestamp, then value; NaN counts as 0', () => {
    const { latest } = prepare([metric('a', 5, 1, 10), metric('a', 1, 2, 1), metric('a', 3, 2, 1), metric('n', Number.NaN, 0, 1), metric('n', -1, 0, 1)]);
    expect(latest).toEqual([
      { key: 'a', value: 3, step: 2, timestamp: 1, is_nan: false },
      { key: 'n', value: 0, step: 0, timestamp: 1, is_nan: true },
    ]);
  });

  it('toRunMessages keeps the order of the rows', () => {
    const rows = [runRow({ run_uuid: 'b' }), runRow({ run_uuid: 'a' })];
    expect(toRunMessages(rows, noChildren()).map((r) => r.info?.run_id)).toEqual(['b', 'a']);
  });
});

describe('MetricsService', () => {
  it('sampleSteps spreads targets evenly and keeps both ends', () => {
    expect(sampleSteps(0, 999_999, 5)).toEqual([0, 250_000, 500_000, 749_999, 999_999]);
    expect(sampleSteps(3, 5, 10)).toEqual([3, 4, 5]);
    expect(sampleSteps(7, 7, 10)).toEqual([7]);
  });

  it('history tokens round-trip and are bound to run and key', () => {
    const cursor = { step: 3, timestamp: 4, skip: 2 };
    const token = encodeHistoryToken(RUN_ID, 'k', cursor);
    expect(decodeHistoryToken(token, RUN_ID, 'k')).toEqual(cursor);
    expect(() => decodeHistoryToken(token, RUN_ID, 'other')).toThrow('Invalid page token');
    expect(() => decodeHistoryToken('%%%', RUN_ID, 'k')).toThrow('Invalid page token');
  });

  it('history pages by keyset, rows tied on (step, timestamp) included, and an unknown run has no history', async () => {
    const { runs, metrics, metricsService } = setup();
    const row = (step: number, value: number, is_nan = false) => ({ run_key: 7, step, timestamp: 1, value, is_nan });
    metrics.history?.mockResolvedValueOnce([row(0, 1), row(1, 0, true), row(1, 3)]);
    type Page = { metrics: { value: number | string }[]; next_page_token?: string };
    const history = async (page_token: string, max_results: number): Promise<Page> =>
      JSON.parse(Buffer.from((await metricsService.history({ run_id: RUN_ID, metric_key: 'k', page_token, max_results })).json).toString()) as Page;
    const page = await history('', 2);
    expect(metrics.history).toHaveBeenCalledWith(reader, 7, 'k', null, 3);
    expect(page.metrics).toEqual([
      { key: 'k', value: 1, timestamp: 1, step: 0 },
      { key: 'k', value: 'NaN', timestamp: 1, step: 1 },
    ]);
    const token = page.next_page_token ?? '';
    const cursor = decodeHistoryToken(token, RUN_ID, 'k');
    expect(cursor).toEqual({ step: 1, timestamp: 1, skip: 1 });
    // The next page starts at (1, 1) and skips the one row of it already returned.
    metrics.history?.mockResolvedValueOnce([row(1, 0, true), row(1, 3), row(2, 5)]);
    const next = await history(token, 2);
    expect(metrics.history).toHaveBeenLastCalledWith(reader, 7, 'k', cursor, 4);
    expect(next.metrics.map((m) => m.value)).toEqual([3, 5]);
    expect(next.next_page_token).toBeUndefined();
    runs.findRun?.mockResolvedValueOnce(undefined);
    expect(await history('', 0)).toEqual({ metrics: [] });
  });

  it('bulk interval: small series whole, long series probed at max_results steps plus the last point', async () => {
    const { runs, metrics, metricsService } = setup();
    const other = 'f'.repeat(32);
    runs.findRuns?.mockResolvedValue([runRow(), runRow({ run_uuid: other, run_key: 8 })]);
    metrics.bounds?.mockResolvedValue([
      { run_key: 7, min_step: 0, max_step: 999_999, n: 11 },
      { run_key: 8, min_step: 0, max_step: 4, n: 5 },
    ]);
    metrics.rangeRows?.mockResolvedValue([{ run_key: 8, step: 0, timestamp: 1, value: 1, is_nan: false }]);
    metrics.probe?.mockResolvedValue([
      { run_key: 7, step: 0, timestamp: 1, value: 1, is_nan: false },
      { run_key: 7, step: 999_999, timestamp: 2, value: 2, is_nan: false },
      { run_key: 7, step: 999_999, timestamp: 2, value: 2, is_nan: false },
    ]);
    const result = await metricsService.bulkInterval({ run_ids: [RUN_ID, other], metric_key: 'k', max_results: 10 });
    const [, , probedRuns, targets] = metrics.probe?.mock.calls[0] ?? [];
    expect(targets).toHaveLength(10);
    expect(probedRuns?.every((k) => k === 7)).toBe(true);
    expect(metrics.rangeRows).toHaveBeenCalledWith(reader, [8], 'k', { start: null, end: null }, 10);
    const { metrics: sampled } = JSON.parse(Buffer.from(result.json).toString()) as { metrics: { run_id: string; step: number }[] };
    expect(sampled.map((m) => [m.run_id, m.step])).toEqual([
      [RUN_ID, 0],
      [RUN_ID, 999_999],
      [other, 0],
    ]);
    const e = await rejectionOf(metricsService.bulkInterval({ run_ids: [RUN_ID], metric_key: 'k', max_results: 10, start_step: 5 }));
    expect(e.message).toMatch(/both must be specified/);
    const tooMany = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
    expect((await rejectionOf(metricsService.bulkInterval({ run_ids: tooMany, metric_key: 'k', max_results: 10 }))).message).toMatch(/at most 100 run_ids/);
  });
});

describe('metricsJson', () => {
  it('writes each row as a Metric, or a MetricWithRunId given the run (NaN and ±Infinity as strings)', () => {
    const rows = [
      { run_key: 1, step: -3, timestamp: 1_700_000_000_000, value: 0.1 + 0.2, is_nan: false },
      { run_key: 1, step: 0, timestamp: 2, value: 0, is_nan: true },
      { run_key: 1, step: 1, timestamp: 3, value: Number.POSITIVE_INFINITY, is_nan: false },
      { run_key: 1, step: 2, timestamp: 4, value: Number.NEGATIVE_INFINITY, is_nan: false },
      { run_key: 1, step: 3, timestamp: 5, value: 1e21, is_nan: false },
      { run_key: 1, step: 4, timestamp: 6, value: -2.5e-300, is_nan: false },
    ];
    const json = `[${metricsJson('loss/a b.c-d', rows, () => RUN_ID).join(',')}]`;
    expect(JSON.parse(json)).toEqual([
      { key: 'loss/a b.c-d', value: 0.1 + 0.2, timestamp: 1_700_000_000_000, step: -3, run_id: RUN_ID },
      { key: 'loss/a b.c-d', value: 'NaN', timestamp: 2, step: 0, run_id: RUN_ID },
      { key: 'loss/a b.c-d', value: 'Infinity', timestamp: 3, step: 1, run_id: RUN_ID },
      { key: 'loss/a b.c-d', value: '-Infinity', timestamp: 4, step: 2, run_id: RUN_ID },
      { key: 'loss/a b.c-d', value: 1e21, timestamp: 5, step: 3, run_id: RUN_ID },
      { key: 'loss/a b.c-d', value: -2.5e-300, timestamp: 6, step: 4, run_id: RUN_ID },
    ]);
    expect(metricsJson('k', [])).toEqual([]);
    expect(JSON.parse(`[${metricsJson('k', rows.slice(0, 1)).join(',')}]`)).toEqual([{ key: 'k', value: 0.1 + 0.2, timestamp: 1_700_000_000_000, step: -3 }]);
    // Long histories come in strings of 256 rows, which jsonBody joins into one array.
    const many = Array.from({ length: 600 }, (_, i) => ({ run_key: 1, step: i, timestamp: i, value: i / 2, is_nan: false }));
    const chunks = metricsJson('k', many);
    expect(chunks).toHaveLength(3);
    const body = JSON.parse(jsonBody('{"metrics":[', chunks, ']}').toString()) as { metrics: { step: number }[] };
    expect(body.metrics.map((m) => m.step)).toEqual(many.map((r) => r.step));
  });

});
