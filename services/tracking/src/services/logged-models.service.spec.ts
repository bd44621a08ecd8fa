import { DataSource, EntityManager } from 'typeorm';
import { CairnError, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { LoggedModelAggregate, LoggedModelRow, LoggedModelsRepository } from '../repositories/logged-models.repository';
import {
  generateRandomName,
  LoggedModelsService,
  modelArtifactLocation,
  newModelId,
  toLoggedModelMessage,
  uniqueParams,
  uniqueTags,
  validateModelName,
} from './logged-models.service';

const manager = { tag: 'tx-manager' } as unknown as EntityManager;
const defaultManager = { tag: 'default-manager' } as unknown as EntityManager;

function row(overrides: Partial<LoggedModelRow> = {}): LoggedModelRow {
  return {
    model_id: 'm-0123456789abcdef0123456789abcdef',
    experiment_id: 1,
    name: 'model',
    artifact_location: 'mlflow-artifacts:/1/models/m-0123456789abcdef0123456789abcdef/artifacts',
    creation_timestamp: 10,
    last_updated_timestamp: 20,
    status: 'PENDING',
    lifecycle_stage: 'active',
    model_type: null,
    source_run_id: null,
    status_message: null,
    ...overrides,
  };
}

function aggregate(overrides: Partial<LoggedModelRow> = {}): LoggedModelAggregate {
  return { model: row(overrides), tags: [], params: [], metrics: [] };
}

function setup() {
  const repo = {
    defaultManager,
    findExperiment: jest.fn().mockResolvedValue({ experiment_id: 1, artifact_location: 'mlflow-artifacts:/1', lifecycle_stage: 'active' }),
    runExists: jest.fn().mockResolvedValue(true),
    insert: jest.fn().mockResolvedValue(undefined),
    findRow: jest.fn().mockResolvedValue(row()),
    loadMany: jest.fn().mockResolvedValue([aggregate()]),
    findParams: jest.fn().mockResolvedValue([]),
    insertParams: jest.fn().mockResolvedValue(undefined),
    upsertTags: jest.fn().mockResolvedValue(undefined),
    deleteTag: jest.fn().mockResolvedValue(true),
    updateStatus: jest.fn().mockResolvedValue(undefined),
    markDeleted: jest.fn().mockResolvedValue(undefined),
    searchIds: jest.fn().mockResolvedValue([]),
  };
  const dataSource = {
    transaction: jest.fn(async (fn: (m: EntityManager) => Promise<unknown>) => fn(manager)),
  };
  const outbox = { append: jest.fn().mockResolvedValue('event-id') };
  const service = new LoggedModelsService(
    dataSource as unknown as DataSource,
    repo as unknown as LoggedModelsRepository,
    outbox as unknown as OutboxWriter,
  );
  return { service, repo, dataSource, outbox };
}

function createRequest(overrides: Partial<tracking.CreateLoggedModelRequest> = {}): tracking.CreateLoggedModelRequest {
  return { experiment_id: '1', name: '', model_type: '', source_run_id: '', params: [], tags: [], ...overrides };
}

async function expectError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CairnError);
  expect((error as CairnError).code).toBe(code);
  if (message) expect((error as CairnError).message).toMatch(message);
}

describe('logged model helpers', () => {
  it('issues m- + 32 hex ids and MLflow-style names', () => {
    expect(newModelId()).toMatch(/^m-[0-9a-f]{32}$/);
    for (let i = 0; i < 20; i++) expect(generateRandomName()).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
  });

  it('puts artifacts under <experiment location>/models/<id>/artifacts', () => {
    expect(modelArtifactLocation('mlflow-artifacts:/3', 'm-1')).toBe('mlflow-artifacts:/3/models/m-1/artifacts');
    expect(modelArtifactLocation('s3://b/p/', 'm-1')).toBe('s3://b/p/models/m-1/artifacts');
  });

  it.each(['a/b', 'a:b', 'a.b', '50%', 'it"s', "it's", ''])('rejects the model name %j', (name) => {
    expect(() => validateModelName(name)).toThrow(/Invalid model name/);
  });

  it('accepts ordinary names', () => {
    expect(() => validateModelName('my-model_1 v2')).not.toThrow();
  });

  it('collapses repeated params with one value and rejects two values for a key', () => {
    expect(uniqueParams([{ key: 'a', value: '1' }, { key: 'a', value: '1' }])).toEqual([{ key: 'a', value: '1' }]);
    expect(() => uniqueParams([{ key: 'a', value: '1' }, { key: 'a', value: '2' }])).toThrow(/Duplicate parameter key/);
    expect(() => uniqueParams([{ key: '', value: '1' }])).toThrow(CairnError);
    expect(() => uniqueParams([{ key: 'k'.repeat(256), value: '1' }])).toThrow(/exceeded length limit of 255/);
  });

  it('keeps the last value of a repeated tag', () => {
    expect(uniqueTags([{ key: 'a', value: '1' }, { key: 'a', value: '2' }])).toEqual([{ key: 'a', value: '2' }]);
  });

  it('maps a model to the wire shape of MLflow', () => {
    const message = toLoggedModelMessage({
      model: row({ status: 'READY', model_type: 'agent', source_run_id: 'r1' }),
      tags: [{ key: 't', value: 'v' }],
      params: [{ key: 'p', value: '1' }],
      metrics: [{ model_id: 'm-1', key: 'acc', value: 0.5, timestamp: 3, step: 1, run_id: 'r1', dataset_name: null }],
    });
    expect(message.info).toMatchObject({
      experiment_id: '1',
      status: 'LOGGED_MODEL_READY',
      model_type: 'agent',
      source_run_id: 'r1',
      creation_timestamp_ms: 10,
      last_updated_timestamp_ms: 20,
      tags: [{ key: 't', value: 'v' }],
      registrations: [],
    });
    expect(message.info?.status_message).toBeUndefined();
    expect(message.data?.metrics[0]).toEqual({
      key: 'acc',
      value: 0.5,
      timestamp: 3,
      step: 1,
      model_id: 'm-1',
      run_id: 'r1',
      dataset_name: undefined,
      dataset_digest: undefined,
    });
    expect(toLoggedModelMessage(aggregate({ status: 'FAILED' })).info?.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });
});

describe('LoggedModelsService.create', () => {
  it('creates a pending model with a generated name, in one transaction with its event', async () => {
    const { service, repo, outbox } = setup();
    const model = await service.create(
      createRequest({ params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'a', value: 'b' }], model_type: 'agent' }),
    );
    expect(model.info?.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model.info?.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(model.info?.status).toBe('LOGGED_MODEL_PENDING');
    expect(model.info?.artifact_uri).toBe(`mlflow-artifacts:/1/models/${model.info?.model_id}/artifacts`);
    expect(model.info?.source_run_id).toBeUndefined();
    expect(model.data?.params).toEqual([{ key: 'lr', value: '0.1' }]);
    const [txManager, inserted] = repo.insert.mock.calls[0];
    expect(txManager).toBe(manager);
    expect(inserted).toMatchObject({ status: 'PENDING', model_type: 'agent', source_run_id: null, experiment_id: 1 });
    expect(outbox.append).toHaveBeenCalledWith(manager, 'cairn.tracking.logged_model.created.v1', model.info?.model_id, {
      experiment_id: '1',
      model_id: model.info?.model_id,
      name: model.info?.name,
    });
  });

  it('checks the source run', async () => {
    const { service, repo } = setup();
    repo.runExists.mockResolvedValue(false);
    await expectError(service.create(createRequest({ source_run_id: 'abc' })), 'RESOURCE_DOES_NOT_EXIST', /Run with id=abc/);
    expect(repo.insert).not.toHaveBeenCalled();
  });

  it('rejects a missing, malformed, unknown or deleted experiment', async () => {
    const { service, repo } = setup();
    await expectError(service.create(createRequest({ experiment_id: '' })), 'INVALID_PARAMETER_VALUE', /experiment_id/);
    await expectError(service.create(createRequest({ experiment_id: 'abc' })), 'INVALID_PARAMETER_VALUE');
    repo.findExperiment.mockResolvedValueOnce(undefined);
    await expectError(service.create(createRequest()), 'RESOURCE_DOES_NOT_EXIST', /No Experiment with id=1 exists/);
    repo.findExperiment.mockResolvedValueOnce({ experiment_id: 1, artifact_location: 'x', lifecycle_stage: 'deleted' });
    await expectError(service.create(createRequest()), 'INVALID_PARAMETER_VALUE', /must be in the 'active' state/);
  });

  it('rejects a bad name before touching the database', async () => {
    const { service, dataSource } = setup();
    await expectError(service.create(createRequest({ name: 'a/b' })), 'INVALID_PARAMETER_VALUE', /Invalid model name/);
    expect(dataSource.transaction).not.toHaveBeenCalled();
  });
});

describe('LoggedModelsService reads and updates', () => {
  it('gets a model, hiding deleted ones', async () => {
    const { service, repo } = setup();
    expect((await service.get('m-1')).info?.name).toBe('model');
    expect(repo.loadMany).toHaveBeenCalledWith(defaultManager, ['m-1']);
    repo.loadMany.mockResolvedValueOnce([aggregate({ lifecycle_stage: 'deleted' })]);
    await expectError(service.get('m-1'), 'RESOURCE_DOES_NOT_EXIST', /Logged model with ID 'm-1' not found/);
    repo.loadMany.mockResolvedValueOnce([]);
    await expectError(service.get('m-2'), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('finalizes to READY or UPLOAD_FAILED only', async () => {
    const { service, repo } = setup();
    await service.finalize('m-1', 'LOGGED_MODEL_READY');
    expect(repo.updateStatus).toHaveBeenCalledWith(manager, 'm-1', 'READY', expect.any(Number));
    await service.finalize('m-1', 'LOGGED_MODEL_UPLOAD_FAILED');
    expect(repo.updateStatus).toHaveBeenLastCalledWith(manager, 'm-1', 'FAILED', expect.any(Number));
    await expectError(service.finalize('m-1', 'LOGGED_MODEL_PENDING'), 'INVALID_PARAMETER_VALUE');
    await expectError(service.finalize('m-1', 'DONE'), 'INVALID_PARAMETER_VALUE');
    await expectError(service.finalize('m-1', ''), 'INVALID_PARAMETER_VALUE', /status/);
    repo.findRow.mockResolvedValueOnce(undefined);
    await expectError(service.finalize('m-9', 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('soft-deletes', async () => {
    const { service, repo } = setup();
    await service.delete('m-1');
    expect(repo.markDeleted).toHaveBeenCalledWith(manager, 'm-1', expect.any(Number));
    repo.findRow.mockResolvedValueOnce(undefined);
    await expectError(service.delete('m-9'), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('sets and deletes tags', async () => {
    const { service, repo } = setup();
    await service.setTags('m-1', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    expect(repo.upsertTags).toHaveBeenCalledWith(manager, 'm-1', [{ key: 'a', value: '2' }]);
    await service.deleteTag('m-1', 'a');
    repo.deleteTag.mockResolvedValueOnce(false);
    await expectError(service.deleteTag('m-1', 'zz'), 'RESOURCE_DOES_NOT_EXIST', /No tag with key 'zz'/);
  });

  it('logs params once: same value is a no-op, a new value is rejected', async () => {
    const { service, repo } = setup();
    repo.findParams.mockResolvedValue([{ key: 'lr', value: '0.1' }]);
    await service.logParams('m-1', [{ key: 'lr', value: '0.1' }, { key: 'bs', value: '32' }]);
    expect(repo.insertParams).toHaveBeenCalledWith(manager, 'm-1', [{ key: 'bs', value: '32' }]);
    await expectError(service.logParams('m-1', [{ key: 'lr', value: '0.2' }]), 'INVALID_PARAMETER_VALUE', /Changing param values/);
  });
});

describe('LoggedModelsService.search', () => {
  function searchRequest(overrides: Partial<tracking.SearchLoggedModelsRequest> = {}): tracking.SearchLoggedModelsRequest {
    return { experiment_ids: ['1'], filter: '', datasets: [], max_results: 0, order_by: [], page_token: '', ...overrides };
  }

  it('pages with an opaque token bound to the query', async () => {
    const { service, repo } = setup();
    repo.searchIds.mockResolvedValueOnce(['m-a', 'm-b', 'm-c']);
    repo.loadMany.mockResolvedValueOnce([aggregate({ model_id: 'm-a' }), aggregate({ model_id: 'm-b' })]);
    const first = await service.search(searchRequest({ max_results: 2 }));
    expect(repo.loadMany).toHaveBeenCalledWith(defaultManager, ['m-a', 'm-b']);
    expect(first.models).toHaveLength(2);
    expect(first.next_page_token).not.toBe('');
    const [, query] = repo.searchIds.mock.calls[0];
    expect(query.params).toContain(3);

    repo.searchIds.mockResolvedValueOnce(['m-c']);
    repo.loadMany.mockResolvedValueOnce([aggregate({ model_id: 'm-c' })]);
    const second = await service.search(searchRequest({ max_results: 2, page_token: first.next_page_token }));
    expect(second.next_page_token).toBe('');
    await expectError(
      service.search(searchRequest({ max_results: 2, filter: "name = 'x'", page_token: first.next_page_token })),
      'INVALID_PARAMETER_VALUE',
      /Invalid page token/,
    );
  });

  it('validates its input', async () => {
    const { service } = setup();
    await expectError(service.search(searchRequest({ experiment_ids: ['x'] })), 'INVALID_PARAMETER_VALUE');
    await expectError(service.search(searchRequest({ max_results: -1 })), 'INVALID_PARAMETER_VALUE', /max_results/);
    await expectError(service.search(searchRequest({ max_results: 50_001 })), 'INVALID_PARAMETER_VALUE', /max_results/);
    await expectError(service.search(searchRequest({ filter: 'bogus ~~ 1' })), 'INVALID_PARAMETER_VALUE');
    await expectError(
      service.search(searchRequest({ datasets: [{ dataset_name: '', dataset_digest: 'd' }] })),
      'INVALID_PARAMETER_VALUE',
      /dataset_name/,
    );
    await expectError(
      service.search(searchRequest({ order_by: [{ field_name: 'params.x', dataset_name: '', dataset_digest: '' }] })),
      'INVALID_PARAMETER_VALUE',
      /order by field name/,
    );
  });
});
