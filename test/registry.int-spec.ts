import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Consumer } from 'kafkajs';
import { Client } from 'pg';
import { parseCloudEvent, TOPICS } from '@cairn/contracts';
import { createKafka } from '@cairn/events';
import { stackEnv, startDistributedCairn, waitFor } from '@cairn/testing';

/**
 * The model registry in distributed mode (each service its own process, on
 * PostgreSQL and Kafka): MLflow's registry API and the managed registry's
 * governance over HTTP, every invalid transition answered with a clear 4xx
 * and nothing changed, racing approvals leaving exactly one Production
 * version, and the registry's events read back from the real broker.
 */
const API = '/api/2.0/mlflow';

let cairn: Awaited<ReturnType<typeof startDistributedCairn>>;
let base = '';

interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  route: string,
  body?: unknown,
  user?: string,
  prefix = API,
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (user) headers['x-cairn-user'] = user;
  const res = await fetch(`${base}${prefix}/${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

const get = <T = Record<string, unknown>>(route: string, query: Record<string, string>, user?: string): Promise<Reply<T>> =>
  call<T>('GET', `${route}?${new URLSearchParams(query).toString()}`, undefined, user);
const post = <T = Record<string, unknown>>(route: string, body: unknown, user?: string): Promise<Reply<T>> =>
  call<T>('POST', route, body, user);

function ok<T>(reply: Reply<T>): T {
  if (reply.status !== 200) throw new Error(`expected 200, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

interface ModelVersion {
  name: string;
  version: string;
  current_stage: string;
  status: string;
  aliases: string[];
  tags: { key: string; value: string }[];
}

interface Activity {
  id: string;
  activity_type: string;
  user_id: string;
  from_stage?: string;
  to_stage?: string;
  comment?: string;
  system_comment?: string;
  request_state?: string;
  creation_timestamp: number;
  available_actions: string[];
}

interface History {
  model_version_databricks: ModelVersion & { open_requests: Activity[] };
  activities: Activity[];
}

async function createModel(name: string, versions: number, user = 'owner'): Promise<void> {
  ok(await post('registered-models/create', { name, tags: [{ key: 'team', value: 'fraud' }] }, user));
  for (let i = 1; i <= versions; i++) {
    ok(await post('model-versions/create', { name, source: `s3://models/${name}/${i}` }, user));
  }
}

async function history(name: string, version: string, user?: string): Promise<History> {
  return ok(await get<History>('model-versions/activity', { name, version }, user));
}

async function stages(name: string): Promise<Record<string, string>> {
  const res = ok(
    await get<{ model_versions: ModelVersion[] }>('model-versions/search', { filter: `name = '${name}'` }),
  );
  return Object.fromEntries(res.model_versions.map((v) => [v.version, v.current_stage]));
}

let consumer: Consumer;
const seen: { key: string; event: ReturnType<typeof parseCloudEvent> }[] = [];

beforeAll(async () => {
  cairn = await startDistributedCairn({ readyPath: `${API}/registered-models/search` });
  base = cairn.base;

  const kafka = createKafka({ brokers: stackEnv().CAIRN_KAFKA_BROKERS!.split(','), clientId: 'registry-it' }, pino({ level: 'silent' }));
  consumer = kafka.consumer({ groupId: `registry-it-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.registry], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        const event = parseCloudEvent(JSON.parse(message.value?.toString() ?? '{}'));
        seen.push({ key: message.key?.toString() ?? '', event });
      } catch {
        // other runs' events of unknown shape: not ours
      }
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await cairn?.stop();
});

describe('registry over HTTP', () => {
  it('serves MLflow’s registry API under both prefixes', async () => {
    const name = `both-${randomUUID().slice(0, 8)}`;
    const created = await call('POST', 'registered-models/create', { name }, undefined, '/ajax-api/2.0/mlflow');
    expect(created.status).toBe(200);
    const got = ok(await get<{ registered_model: { name: string } }>('registered-models/get', { name }));
    expect(got.registered_model.name).toBe(name);
    const dup = await post('registered-models/create', { name });
    expect(dup).toEqual({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Registered Model (name=${name}) already exists.` },
    });
    const missing = await get('registered-models/get', { name: `${name}-nope` });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('numbers versions per model without gaps or duplicates under concurrent creation', async () => {
    const name = `numbers-${randomUUID().slice(0, 8)}`;
    ok(await post('registered-models/create', { name }));
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post<{ model_version: ModelVersion }>('model-versions/create', { name, source: `s3://b/${i}` })),
    );
    const numbers = replies.map((r) => Number(ok(r).model_version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    ok(await call('DELETE', 'model-versions/delete', { name, version: '20' }));
    const next = ok(await post<{ model_version: ModelVersion }>('model-versions/create', { name, source: 's3://b/next' }));
    expect(next.model_version.version).toBe('21');
  });
});

describe('registration status', () => {
  interface LoggedModel {
    model: { info: { model_id: string; artifact_uri: string; tags?: { key: string; value: string }[] } };
  }

  async function loggedModel(): Promise<LoggedModel['model']['info']> {
    return ok(await post<LoggedModel>('logged-models', { experiment_id: '0', name: 'clf' })).model.info;
  }

  async function upload(artifactUri: string, file: string): Promise<void> {
    const storePath = artifactUri.replace(/^mlflow-artifacts:\/*/, '');
    const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${storePath}/${file}`, { method: 'PUT', body: 'flavors: {}\n' });
    expect(res.status).toBe(200);
  }

  const finalize = (id: string, status: string): Promise<Reply> => call('PATCH', `logged-models/${id}`, { status });

  it('waits for a logged model to be finalized, then checks its files: PENDING_REGISTRATION → READY', async () => {
    const name = `pending-${randomUUID().slice(0, 8)}`;
    ok(await post('registered-models/create', { name }));
    const model = await loggedModel();
    const created = ok(
      await post<{ model_version: ModelVersion & { status_message?: string; model_id?: string } }>('model-versions/create', {
        name,
        source: `models:/${model.model_id}`,
        model_id: model.model_id,
      }),
    );
    expect(created.model_version).toMatchObject({ status: 'PENDING_REGISTRATION', model_id: model.model_id });
    expect(created.model_version.status_message).toMatch(/to be finalized/);
    await upload(model.artifact_uri, 'MLmodel');
    ok(await finalize(model.model_id, 'LOGGED_MODEL_READY'));
    const ready = await waitFor(
      'the registration to settle',
      async () => {
        const got = ok(await get<{ model_version: ModelVersion }>('model-versions/get', { name, version: '1' }));
        return got.model_version.status !== 'PENDING_REGISTRATION' && got.model_version;
      },
      30000,
    );
    expect(ready.status).toBe('READY');
    // The logged model links back to its registered versions.
    const linked = ok(await get<LoggedModel>(`logged-models/${model.model_id}`, {})).model.info.tags ?? [];
    expect(JSON.parse(linked.find((t) => t.key === 'mlflow.modelVersions')?.value ?? '[]')).toEqual([{ name, version: 1 }]);
    await waitFor('the status_changed event', async () =>
      seen.some((s) => s.key === name && s.event.type === 'cairn.registry.model_version.status_changed.v1'),
    );
  });

  it('fails registrations whose files are missing or whose upload failed', async () => {
    const name = `failed-${randomUUID().slice(0, 8)}`;
    ok(await post('registered-models/create', { name }));
    const run = ok(await post<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: '0' })).run.info.run_id;
    const empty = ok(await post<{ model_version: ModelVersion & { status_message?: string } }>('model-versions/create', { name, source: `runs:/${run}/model` }));
    expect(empty.model_version.status).toBe('FAILED_REGISTRATION');
    expect(empty.model_version.status_message).toMatch(/No model files found/);

    const model = await loggedModel();
    ok(await post('model-versions/create', { name, source: `models:/${model.model_id}`, model_id: model.model_id }));
    ok(await finalize(model.model_id, 'LOGGED_MODEL_UPLOAD_FAILED'));
    const failed = await waitFor('the registration to fail', async () => {
      const got = ok(await get<{ model_version: ModelVersion & { status_message?: string } }>('model-versions/get', { name, version: '2' }));
      return got.model_version.status !== 'PENDING_REGISTRATION' && got.model_version;
    }, 30000);
    expect(failed.status).toBe('FAILED_REGISTRATION');
    expect(failed.status_message).toMatch(/upload of logged model .* failed/);

    const refused = await post('model-versions/create', { name, source: `runs:/${run}/model`, run_id: 'another-run' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/The run_id request parameter must identify the resource that contains the source/);
  });
});

describe('governance', () => {
  it('requests, approves (archiving), rejects, cancels and comments, recording who and when', async () => {
    const name = `gov-${randomUUID().slice(0, 8)}`;
    await createModel(name, 3);
    ok(await post('model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: false }, 'ops'));

    const created = ok(
      await post<{ request: { id: string; to_stage: string; user_id: string; available_actions: string[] } }>(
        'transition-requests/create',
        { name, version: '2', stage: 'production', comment: 'ready for prod' },
        'alice',
      ),
    );
    expect(created.request).toMatchObject({ to_stage: 'Production', user_id: 'alice' });
    expect(created.request.available_actions).toEqual([
      'APPROVE_TRANSITION_REQUEST',
      'REJECT_TRANSITION_REQUEST',
      'CANCEL_TRANSITION_REQUEST',
    ]);
    const listed = ok(await get<{ requests: Activity[] }>('transition-requests/list', { name, version: '2' }, 'bob'));
    expect(listed.requests).toHaveLength(1);
    expect(listed.requests[0]).toMatchObject({ activity_type: 'REQUESTED_TRANSITION', user_id: 'alice', to_stage: 'Production' });
    expect(listed.requests[0]!.available_actions).not.toContain('CANCEL_TRANSITION_REQUEST');

    const before = await history(name, '2');
    expect(before.model_version_databricks.open_requests.map((r) => r.id)).toEqual([created.request.id]);

    const approved = ok(
      await post<{ activity: Activity }>(
        'transition-requests/approve',
        { name, version: '2', stage: 'Production', archive_existing_versions: true, comment: 'approved' },
        'bob',
      ),
    );
    expect(approved.activity).toMatchObject({
      activity_type: 'APPROVED_REQUEST',
      user_id: 'bob',
      from_stage: 'None',
      to_stage: 'Production',
      comment: 'approved',
    });
    expect(await stages(name)).toEqual({ '1': 'Archived', '2': 'Production', '3': 'None' });

    const v1 = await history(name, '1');
    expect(v1.activities.map((a) => [a.activity_type, a.user_id, a.from_stage, a.to_stage])).toEqual([
      ['APPLIED_TRANSITION', 'ops', 'None', 'Production'],
      ['SYSTEM_TRANSITION', 'bob', 'Production', 'Archived'],
    ]);
    expect(v1.activities[1]!.system_comment).toMatch(/version 2 moved to Production/);
    const v2 = await history(name, '2');
    expect(v2.activities.map((a) => [a.activity_type, a.user_id, a.request_state ?? null])).toEqual([
      ['REQUESTED_TRANSITION', 'alice', 'APPROVED'],
      ['APPROVED_REQUEST', 'bob', null],
    ]);
    expect(v2.model_version_databricks.open_requests).toEqual([]);
    for (const a of v2.activities) expect(a.creation_timestamp).toBeGreaterThan(0);

    // Reject, then cancel (query-string DELETE as the databricks-sdk sends it).
    ok(await post('transition-requests/create', { name, version: '3', stage: 'Staging' }, 'carol'));
    const rejected = ok(await post<{ activity: Activity }>('transition-requests/reject', { name, version: '3', stage: 'Staging', comment: 'no' }, 'dan'));
    expect(rejected.activity).toMatchObject({ activity_type: 'REJECTED_REQUEST', user_id: 'dan', to_stage: 'Staging' });
    ok(await post('transition-requests/create', { name, version: '3', stage: 'Staging' }, 'carol'));
    const cancelled = await call<{ activity: Activity }>(
      'DELETE',
      `transition-requests/delete?${new URLSearchParams({ name, version: '3', stage: 'Staging', creator: 'carol', comment: 'oops' }).toString()}`,
      undefined,
      'carol',
    );
    expect(ok(cancelled).activity).toMatchObject({ activity_type: 'CANCELLED_REQUEST', user_id: 'carol', comment: 'oops' });
    expect(await stages(name)).toMatchObject({ '3': 'None' });

    // Comments: create, update, delete.
    const comment = ok(await post<{ comment: { id: string; comment: string; user_id: string; available_actions: string[] } }>(
      'comments/create',
      { name, version: '3', comment: 'tests pass' },
      'erin',
    ));
    expect(comment.comment).toMatchObject({ comment: 'tests pass', user_id: 'erin', available_actions: ['EDIT_COMMENT', 'DELETE_COMMENT'] });
    const edited = ok(await call<{ comment: { comment: string } }>('PATCH', 'comments/update', { id: comment.comment.id, comment: 'all green' }, 'erin'));
    expect(edited.comment.comment).toBe('all green');
    const v3 = await history(name, '3');
    expect(v3.activities.map((a) => a.activity_type)).toEqual([
      'REQUESTED_TRANSITION',
      'REJECTED_REQUEST',
      'REQUESTED_TRANSITION',
      'CANCELLED_REQUEST',
      'NEW_COMMENT',
    ]);
    expect(v3.activities.map((a) => a.request_state ?? null)).toEqual(['REJECTED', null, 'CANCELLED', null, null]);
    expect(v3.activities[4]).toMatchObject({ comment: 'all green', user_id: 'erin' });
    ok(await call('DELETE', `comments/delete?id=${comment.comment.id}`));
    expect((await history(name, '3')).activities.map((a) => a.activity_type)).not.toContain('NEW_COMMENT');

    // The managed registry's direct transition, with a comment, answers the version and its open requests.
    ok(await post('transition-requests/create', { name, version: '3', stage: 'Archived' }, 'frank'));
    const direct = ok(
      await post<{ model_version_databricks: ModelVersion & { open_requests: Activity[] } }>(
        'databricks/model-versions/transition-stage',
        { name, version: '3', stage: 'Staging', archive_existing_versions: true, comment: 'hotfix' },
        'gina',
      ),
    );
    expect(direct.model_version_databricks).toMatchObject({ name, version: '3', current_stage: 'Staging' });
    expect(direct.model_version_databricks.open_requests.map((r) => [r.user_id, r.to_stage])).toEqual([['frank', 'Archived']]);
    expect((await history(name, '3')).activities.at(-1)).toMatchObject({
      activity_type: 'APPLIED_TRANSITION',
      user_id: 'gina',
      comment: 'hotfix',
      to_stage: 'Staging',
    });
  });

  it('answers every invalid transition with a clear 4xx and changes nothing', async () => {
    const name = `invalid-${randomUUID().slice(0, 8)}`;
    await createModel(name, 3);
    ok(await post('transition-requests/create', { name, version: '1', stage: 'Staging' }, 'alice'));
    ok(await call('DELETE', 'transition-requests/delete', { name, version: '1', stage: 'Staging', creator: 'alice' }, 'alice'));
    ok(await call('DELETE', 'model-versions/delete', { name, version: '3' }));
    const snapshot = async (): Promise<unknown> => ({
      stages: await stages(name),
      v1: (await history(name, '1')).activities,
      v2: (await history(name, '2')).activities,
    });
    const before = await snapshot();

    const cases: [string, Promise<Reply>, number, string, RegExp][] = [
      ['unknown stage (request)', post('transition-requests/create', { name, version: '1', stage: 'Prod' }), 400, 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage: Prod/],
      ['unknown stage (MLflow transition)', post('model-versions/transition-stage', { name, version: '1', stage: 'Live', archive_existing_versions: false }), 400, 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage/],
      ['unknown stage (direct)', post('databricks/model-versions/transition-stage', { name, version: '1', stage: 'x', archive_existing_versions: false }), 400, 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage/],
      ['approving a cancelled request', post('transition-requests/approve', { name, version: '1', stage: 'Staging', archive_existing_versions: false }), 404, 'RESOURCE_DOES_NOT_EXIST', /No open transition request to stage 'Staging'/],
      ['rejecting a cancelled request', post('transition-requests/reject', { name, version: '1', stage: 'Staging' }), 404, 'RESOURCE_DOES_NOT_EXIST', /No open transition request/],
      ['cancelling it again', call('DELETE', 'transition-requests/delete', { name, version: '1', stage: 'Staging', creator: 'alice' }), 404, 'RESOURCE_DOES_NOT_EXIST', /created by 'alice'/],
      ['commenting on a deleted version', post('comments/create', { name, version: '3', comment: 'hello?' }), 404, 'RESOURCE_DOES_NOT_EXIST', /Model Version \(name=.*, version=3\) not found/],
      ['requesting on a deleted version', post('transition-requests/create', { name, version: '3', stage: 'Staging' }), 404, 'RESOURCE_DOES_NOT_EXIST', /version=3\) not found/],
      ['requesting the current stage', post('transition-requests/create', { name, version: '2', stage: 'None' }), 400, 'INVALID_PARAMETER_VALUE', /already in stage 'None'/],
      ['archiving existing versions into Archived', post('transition-requests/approve', { name, version: '2', stage: 'Archived', archive_existing_versions: true }), 400, 'INVALID_PARAMETER_VALUE', /not an Active stage/],
      ['an empty comment', post('comments/create', { name, version: '2', comment: '' }), 400, 'INVALID_PARAMETER_VALUE', /'comment'/],
      ['editing a missing comment', call('PATCH', 'comments/update', { id: 'nope', comment: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST', /Comment with id=nope/],
      ['deleting a missing comment', call('DELETE', 'comments/delete?id=nope'), 404, 'RESOURCE_DOES_NOT_EXIST', /Comment with id=nope/],
      ['a version that is not a number', post('transition-requests/create', { name, version: 'two', stage: 'Staging' }), 400, 'INVALID_PARAMETER_VALUE', /must be an integer/],
      ['an unknown model', post('transition-requests/approve', { name: `${name}-x`, version: '1', stage: 'Staging', archive_existing_versions: false }), 404, 'RESOURCE_DOES_NOT_EXIST', /Registered Model with name=/],
      ['listing a deleted version', get('transition-requests/list', { name, version: '3' }), 404, 'RESOURCE_DOES_NOT_EXIST', /not found/],
    ];
    for (const [what, pending, status, code, message] of cases) {
      const reply = await pending;
      expect({ what, status: reply.status, code: reply.body.error_code }).toEqual({ what, status, code });
      expect(String(reply.body.message)).toMatch(message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('racing approvals to Production with archive_existing_versions leave exactly one Production version', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}-${randomUUID().slice(0, 8)}`;
      await createModel(name, 4);
      for (let v = 1; v <= 4; v++) {
        ok(await post('transition-requests/create', { name, version: String(v), stage: 'Production' }, `requester-${v}`));
      }
      const replies = await Promise.all(
        [1, 2, 3, 4].map((v) =>
          post('transition-requests/approve', { name, version: String(v), stage: 'Production', archive_existing_versions: true }, `approver-${v}`),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const final = await stages(name);
      const production = Object.entries(final).filter(([, s]) => s === 'Production');
      expect(production).toHaveLength(1);
      expect(Object.values(final).filter((s) => s === 'Archived')).toHaveLength(3);
      const latest = ok(await post<{ model_versions: ModelVersion[] }>('registered-models/get-latest-versions', { name, stages: ['Production'] }));
      expect(latest.model_versions.map((v) => v.version)).toEqual([production[0]![0]]);
    }
  });
});

describe('registry events in Kafka', () => {
  it('publishes each change with its actor, keyed by the model name', async () => {
    const name = `events-${randomUUID().slice(0, 8)}`;
    const renamed = `${name}-renamed`;
    await createModel(name, 2, 'creator');
    ok(await post('model-versions/set-tag', { name, version: '1', key: 'k', value: 'v' }, 'tagger'));
    ok(await call('DELETE', 'model-versions/delete-tag', { name, version: '1', key: 'k' }, 'tagger'));
    ok(await post('registered-models/alias', { name, alias: 'champion', version: '1' }, 'aliaser'));
    ok(await post('registered-models/alias', { name, alias: 'champion', version: '2' }, 'aliaser'));
    ok(await call('DELETE', 'registered-models/alias', { name, alias: 'champion' }, 'aliaser'));
    ok(await post('model-versions/transition-stage', { name, version: '1', stage: 'Production', archive_existing_versions: false }, 'ops'));
    const req = ok(await post<{ request: { id: string } }>('transition-requests/create', { name, version: '2', stage: 'Production', comment: 'go' }, 'alice'));
    ok(await post('transition-requests/approve', { name, version: '2', stage: 'Production', archive_existing_versions: true }, 'bob'));
    ok(await post('transition-requests/create', { name, version: '1', stage: 'Staging' }, 'carol'));
    ok(await post('transition-requests/reject', { name, version: '1', stage: 'Staging', comment: 'nope' }, 'dan'));
    ok(await post('transition-requests/create', { name, version: '1', stage: 'Staging' }, 'carol'));
    ok(await call('DELETE', 'transition-requests/delete', { name, version: '1', stage: 'Staging', creator: 'carol' }, 'carol'));
    const comment = ok(await post<{ comment: { id: string } }>('comments/create', { name, version: '2', comment: 'shipped' }, 'erin'));
    ok(await post('registered-models/rename', { name, new_name: renamed }, 'renamer'));
    ok(await call('DELETE', 'registered-models/delete', { name: renamed }, 'deleter'));

    const ours = (): typeof seen => seen.filter((s) => s.key === name || s.key === renamed);
    await waitFor('the registry events in Kafka', async () => ours().some((s) => s.event.type === 'cairn.registry.registered_model.deleted.v1'), 60000);
    const events = ours();
    for (const { event } of events) {
      expect(event).toMatchObject({ specversion: '1.0', source: '/cairn/registry', datacontenttype: 'application/json' });
    }
    const byType = (type: string): Record<string, unknown>[] =>
      events.filter((s) => s.event.type === type).map((s) => s.event.data as Record<string, unknown>);

    expect(byType('cairn.registry.registered_model.created.v1')).toEqual([
      { name, description: null, tags: [{ key: 'team', value: 'fraud' }], actor: 'creator' },
    ]);
    expect(byType('cairn.registry.model_version.created.v1').map((d) => [d.version, d.status, d.source, d.actor])).toEqual([
      ['1', 'READY', `s3://models/${name}/1`, 'creator'],
      ['2', 'READY', `s3://models/${name}/2`, 'creator'],
    ]);
    expect(byType('cairn.registry.model_version_tag.set.v1')).toEqual([{ name, version: '1', key: 'k', value: 'v', actor: 'tagger' }]);
    expect(byType('cairn.registry.model_version_tag.deleted.v1')).toEqual([{ name, version: '1', key: 'k', actor: 'tagger' }]);
    expect(byType('cairn.registry.model_version_alias.set.v1')).toEqual([
      { name, alias: 'champion', version: '1', previous_version: null, actor: 'aliaser' },
      { name, alias: 'champion', version: '2', previous_version: '1', actor: 'aliaser' },
    ]);
    expect(byType('cairn.registry.model_version_alias.deleted.v1')).toEqual([{ name, alias: 'champion', version: '2', actor: 'aliaser' }]);
    expect(byType('cairn.registry.model_version.stage_transitioned.v1')).toEqual([
      { name, version: '1', from_stage: 'None', to_stage: 'Production', actor: 'ops', archived_versions: [], via: 'transition', comment: null },
      {
        name,
        version: '2',
        from_stage: 'None',
        to_stage: 'Production',
        actor: 'bob',
        archived_versions: [{ version: '1', from_stage: 'Production' }],
        via: 'approved_request',
        comment: null,
      },
    ]);
    expect(byType('cairn.registry.transition_request.created.v1')[0]).toEqual({
      name,
      version: '2',
      request_id: req.request.id,
      from_stage: 'None',
      to_stage: 'Production',
      actor: 'alice',
      comment: 'go',
    });
    expect(byType('cairn.registry.transition_request.approved.v1')).toEqual([
      { name, version: '2', request_ids: [req.request.id], to_stage: 'Production', actor: 'bob', comment: null },
    ]);
    expect(byType('cairn.registry.transition_request.rejected.v1')).toMatchObject([
      { name, version: '1', to_stage: 'Staging', actor: 'dan', comment: 'nope' },
    ]);
    expect(byType('cairn.registry.transition_request.cancelled.v1')).toMatchObject([
      { name, version: '1', to_stage: 'Staging', creator: 'carol', actor: 'carol', comment: null },
    ]);
    expect(byType('cairn.registry.comment.created.v1')).toEqual([
      { name, version: '2', comment_id: comment.comment.id, comment: 'shipped', actor: 'erin' },
    ]);
    expect(byType('cairn.registry.registered_model.renamed.v1')).toEqual([{ name: renamed, old_name: name, actor: 'renamer' }]);
    expect(byType('cairn.registry.registered_model.deleted.v1')).toEqual([{ name: renamed, actor: 'deleter' }]);
    // Keys: the model's name at the time (events of one model stay in order on one partition).
    expect(events.filter((s) => s.event.type === 'cairn.registry.registered_model.deleted.v1').map((s) => s.key)).toEqual([renamed]);
    expect(events.filter((s) => s.event.type === 'cairn.registry.comment.created.v1').map((s) => s.key)).toEqual([name]);
  });
});

describe('stored search elements on PostgreSQL', () => {
  it('stay current when two transactions change one model at once, neither locking it first', async () => {
    const name = `racing-elements-${randomUUID().slice(0, 8)}`;
    ok(await post('registered-models/create', { name }));
    ok(await post('model-versions/create', { name, source: 's3://b/racing/1' }));
    const [a, b] = [new Client({ connectionString: cairn.databaseUrl }), new Client({ connectionString: cairn.databaseUrl })];
    await Promise.all([a.connect(), b.connect()]);
    try {
      const key = (await a.query<{ model_key: string }>('SELECT model_key FROM registry.registered_models WHERE name = $1', [name])).rows[0]!.model_key;
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(`INSERT INTO registry.model_version_tags (model_key, version, key, value) VALUES ($1, 1, 'from', 'a')`, [key]);
      // b's statement runs while a's change is not committed: its refresh must wait for a and then see it.
      const bInsert = b.query(`INSERT INTO registry.registered_model_aliases (model_key, alias, version) VALUES ($1, 'from-b', 1)`, [key]);
      await waitFor('b waiting for a', async () => {
        const { rows } = await a.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [bPid]);
        return rows[0]?.w === 'Lock';
      });
      await a.query('COMMIT');
      await bInsert;
      await b.query('COMMIT');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    const model = ok(await get<{ registered_model: unknown }>('registered-models/get', { name })).registered_model;
    const searched = ok(await get<{ registered_models: unknown[] }>('registered-models/search', { filter: `name = '${name}'` })).registered_models;
    expect(searched).toEqual([model]);
    expect(searched[0]).toMatchObject({ latest_versions: [{ tags: [{ key: 'from', value: 'a' }], aliases: ['from-b'] }], aliases: [{ alias: 'from-b', version: '1' }] });
    const version = ok(await get<{ model_version: unknown }>('model-versions/get', { name, version: '1' })).model_version;
    expect(ok(await get<{ model_versions: unknown[] }>('model-versions/search', { filter: `name = '${name}'` })).model_versions).toEqual([version]);
  });
});
