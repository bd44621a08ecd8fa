import { createServer, Server } from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, REPO_ROOT, spawnNode, SpawnedProcess, waitFor } from '@cairn/testing';

/**
 * Security over HTTP against the embedded server with CAIRN_AUTH=on:
 * authentication (Basic, API tokens, OIDC JWTs), a permission matrix of
 * roles × representative endpoints of every group, search filtering, the
 * actor forwarded to the registry, the audit log and rate limits.
 */
const CLI = path.join(REPO_ROOT, 'bin/cairn.js');
const ADMIN = { user: 'root', pw: 'root-pw-1' };
const dirs: string[] = [];
const procs: SpawnedProcess[] = [];

interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

type Who = string | { bearer: string } | undefined;

function client(base: string) {
  return async function call<T = Record<string, unknown>>(who: Who, method: string, route: string, body?: unknown): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (typeof who === 'string') headers.authorization = `Basic ${Buffer.from(`${who}:${who === ADMIN.user ? ADMIN.pw : `${who}-pw`}`).toString('base64')}`;
    else if (who) headers.authorization = `Bearer ${who.bearer}`;
    let url = `${base}${route.startsWith('/') ? route : `/api/2.0/mlflow/${route}`}`;
    let payload: string | undefined;
    if (body !== undefined && (method === 'GET' || (method === 'DELETE' && !route.startsWith('/')))) {
      url += `?${new URLSearchParams(body as Record<string, string>).toString()}`;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(url, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
}

async function startServer(env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-security-'));
  dirs.push(dir);
  const port = await freePort();
  const proc = spawnNode(
    CLI,
    ['server', '--port', String(port), '--data-dir', dir],
    { ...process.env, CAIRN_LOG_LEVEL: 'warn', CAIRN_AUTH: 'on', CAIRN_ADMIN_USERNAME: ADMIN.user, CAIRN_ADMIN_PASSWORD: ADMIN.pw, ...env },
    REPO_ROOT,
  );
  procs.push(proc);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('embedded server with auth', async () => (await fetch(`${base}/health`)).ok, 60000);
  } catch (err) {
    console.error(proc.output());
    throw err;
  }
  return base;
}

afterAll(async () => {
  const codes = await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

const ROLES = ['admin', 'owner', 'reader', 'editor', 'teammate', 'stager', 'prodder', 'outsider'] as const;
type Role = (typeof ROLES)[number];
const userOf = (role: Role): string => (role === 'admin' ? ADMIN.user : role);

describe('with authentication on (embedded)', () => {
  let base = '';
  let call: ReturnType<typeof client>;
  let n = 0;
  const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${n++}`;

  beforeAll(async () => {
    base = await startServer({ CAIRN_DEFAULT_PERMISSION: 'NO_PERMISSIONS', CAIRN_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1' });
    call = client(base);
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      expect((await call(ADMIN.user, 'POST', 'users/create', { username: role, password: `${role}-pw` })).status).toBe(200);
    }
    expect((await call(ADMIN.user, 'POST', '/api/2.0/cairn/groups', { name: 'team' })).status).toBe(200);
    expect((await call(ADMIN.user, 'POST', '/api/2.0/cairn/groups/team/members', { username: 'teammate' })).status).toBe(200);
  });

  describe('authentication', () => {
    it('answers 401 with WWW-Authenticate when credentials are missing or wrong, and lets health through', async () => {
      const missing = await call(undefined, 'GET', 'experiments/get', { experiment_id: '0' });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Basic realm="cairn"');
      expect(missing.body).toMatchObject({ error_code: 'UNAUTHENTICATED' });
      const wrong = await fetch(`${base}/api/2.0/mlflow/experiments/get?experiment_id=0`, {
        headers: { authorization: `Basic ${Buffer.from('owner:nope').toString('base64')}` },
      });
      expect(wrong.status).toBe(401);
      expect((await call(undefined, 'GET', 'no/such/route')).status).toBe(401);
      expect((await fetch(`${base}/health`)).status).toBe(200);
    });

    it('accepts API tokens until they are revoked or expire', async () => {
      const made = await call<{ token: string; token_info: { id: string } }>('owner', 'POST', '/api/2.0/cairn/tokens', { description: 'ci' });
      expect(made.status).toBe(200);
      expect(made.body.token).toMatch(/^cairn_/);
      const me = await call<{ user: { username: string; auth_method: string } }>({ bearer: made.body.token }, 'GET', 'users/current');
      expect(me.body.user).toMatchObject({ username: 'owner', auth_method: 'token' });
      const listed = await call<{ tokens: { id: string; token_prefix: string }[] }>('owner', 'GET', '/api/2.0/cairn/tokens');
      expect(listed.body.tokens.map((t) => t.id)).toContain(made.body.token_info.id);
      expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
      // Another user cannot revoke it; the owner can, and it stops working at once (same replica).
      expect((await call('reader', 'DELETE', `/api/2.0/cairn/tokens/${made.body.token_info.id}`)).status).toBe(404);
      expect((await call('owner', 'DELETE', `/api/2.0/cairn/tokens/${made.body.token_info.id}`)).status).toBe(200);
      expect((await call({ bearer: made.body.token }, 'GET', 'users/current')).status).toBe(401);
      const short = await call<{ token: string }>('owner', 'POST', '/api/2.0/cairn/tokens', { lifetime_seconds: 1 });
      expect((await call({ bearer: short.body.token }, 'GET', 'users/current')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1300));
      expect((await call({ bearer: short.body.token }, 'GET', 'users/current')).status).toBe(401);
      expect((await call({ bearer: 'cairn_not-a-token' }, 'GET', 'users/current')).status).toBe(401);
    });

    it('lets a user change its own password, not another user’s; admins manage users', async () => {
      expect((await call('reader', 'GET', 'users/get', { username: 'reader' })).status).toBe(200);
      expect((await call('reader', 'GET', 'users/get', { username: 'owner' })).status).toBe(403);
      expect((await call('reader', 'PATCH', 'users/update-password', { username: 'owner', password: 'x' })).status).toBe(403);
      expect((await call('reader', 'PATCH', 'users/update-admin', { username: 'reader', is_admin: true })).status).toBe(403);
      expect((await call('reader', 'POST', 'users/create', { username: 'mallory', password: 'x' })).status).toBe(403);
      const dup = await call(ADMIN.user, 'POST', 'users/create', { username: 'reader', password: 'x' });
      expect(dup.body).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' });
    });
  });

  describe('permission matrix', () => {
    interface Ctx {
      experimentId: string;
      runId: string;
      model: string;
    }

    /** A fresh experiment (with a run) and model owned by `owner`, granted to the other roles through the managed API. */
    async function fixture(): Promise<Ctx> {
      const exp = await call<{ experiment_id: string }>('owner', 'POST', 'experiments/create', { name: uniq('m-exp') });
      expect(exp.status).toBe(200);
      const experimentId = exp.body.experiment_id;
      const run = await call<{ run: { info: { run_id: string } } }>('owner', 'POST', 'runs/create', { experiment_id: experimentId });
      expect(run.status).toBe(200);
      const model = uniq('m-model');
      expect((await call('owner', 'POST', 'registered-models/create', { name: model })).status).toBe(200);
      expect((await call('owner', 'POST', 'model-versions/create', { name: model, source: 's3://b/m/1' })).status).toBe(200);
      const expAcl = await call('owner', 'PUT', `/api/2.0/permissions/experiments/${experimentId}`, {
        access_control_list: [
          { user_name: 'owner', permission_level: 'CAN_MANAGE' },
          { user_name: 'reader', permission_level: 'CAN_READ' },
          { user_name: 'editor', permission_level: 'CAN_EDIT' },
          { group_name: 'team', permission_level: 'CAN_EDIT' },
        ],
      });
      expect(expAcl.status).toBe(200);
      const modelAcl = await call('owner', 'PATCH', `/api/2.0/permissions/registered-models/${encodeURIComponent(model)}`, {
        access_control_list: [
          { user_name: 'reader', permission_level: 'CAN_READ' },
          { user_name: 'editor', permission_level: 'CAN_EDIT' },
          { group_name: 'team', permission_level: 'CAN_EDIT' },
          { user_name: 'stager', permission_level: 'CAN_MANAGE_STAGING_VERSIONS' },
          { user_name: 'prodder', permission_level: 'CAN_MANAGE_PRODUCTION_VERSIONS' },
        ],
      });
      expect(modelAcl.status).toBe(200);
      return { experimentId, runId: run.body.run.info.run_id, model };
    }

    const READ_EXP: Role[] = ['admin', 'owner', 'reader', 'editor', 'teammate'];
    const EDIT_EXP: Role[] = ['admin', 'owner', 'editor', 'teammate'];
    const MANAGE: Role[] = ['admin', 'owner'];
    const READ_MODEL: Role[] = ['admin', 'owner', 'reader', 'editor', 'teammate', 'stager', 'prodder'];
    const EDIT_MODEL: Role[] = ['admin', 'owner', 'editor', 'teammate', 'stager', 'prodder'];
    const STAGING: Role[] = ['admin', 'owner', 'stager', 'prodder'];
    const PRODUCTION: Role[] = ['admin', 'owner', 'prodder'];
    const ADMIN_ONLY: Role[] = ['admin'];

    const rows: [string, Role[], (who: string, c: Ctx) => Promise<Reply>][] = [
      ['experiments/get', READ_EXP, (w, c) => call(w, 'GET', 'experiments/get', { experiment_id: c.experimentId })],
      ['experiments/set-experiment-tag', EDIT_EXP, (w, c) => call(w, 'POST', 'experiments/set-experiment-tag', { experiment_id: c.experimentId, key: 'k', value: 'v' })],
      ['experiments/delete', MANAGE, (w, c) => call(w, 'POST', 'experiments/delete', { experiment_id: c.experimentId })],
      ['runs/create', EDIT_EXP, (w, c) => call(w, 'POST', 'runs/create', { experiment_id: c.experimentId })],
      ['runs/get', READ_EXP, (w, c) => call(w, 'GET', 'runs/get', { run_id: c.runId })],
      ['runs/log-metric', EDIT_EXP, (w, c) => call(w, 'POST', 'runs/log-metric', { run_id: c.runId, key: 'm', value: 1, timestamp: 1, step: 0 })],
      ['runs/delete', MANAGE, (w, c) => call(w, 'POST', 'runs/delete', { run_id: c.runId })],
      ['runs/search', READ_EXP, (w, c) => call(w, 'POST', 'runs/search', { experiment_ids: [c.experimentId] })],
      ['metrics/get-history', READ_EXP, (w, c) => call(w, 'GET', 'metrics/get-history', { run_id: c.runId, metric_key: 'm' })],
      ['logged-models (create)', EDIT_EXP, (w, c) => call(w, 'POST', 'logged-models', { experiment_id: c.experimentId, name: 'lm' })],
      [
        'artifact upload',
        EDIT_EXP,
        (w, c) => call(w, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${c.experimentId}/${c.runId}/artifacts/a.txt`, '"x"'),
      ],
      ['artifact list', READ_EXP, (w, c) => call(w, 'GET', '/api/2.0/mlflow-artifacts/artifacts', { path: `${c.experimentId}/${c.runId}` })],
      ['experiments/permissions/create', MANAGE, (w, c) => call(w, 'POST', 'experiments/permissions/create', { experiment_id: c.experimentId, username: 'outsider', permission: 'READ' })],
      ['registered-models/get', READ_MODEL, (w, c) => call(w, 'GET', 'registered-models/get', { name: c.model })],
      ['registered-models/update', EDIT_MODEL, (w, c) => call(w, 'PATCH', 'registered-models/update', { name: c.model, description: 'd' })],
      ['model-versions/create', EDIT_MODEL, (w, c) => call(w, 'POST', 'model-versions/create', { name: c.model, source: 's3://b/m/2' })],
      ['transition to Staging', STAGING, (w, c) => call(w, 'POST', 'model-versions/transition-stage', { name: c.model, version: '1', stage: 'Staging', archive_existing_versions: false })],
      ['transition to Production', PRODUCTION, (w, c) => call(w, 'POST', 'databricks/model-versions/transition-stage', { name: c.model, version: '1', stage: 'Production', archive_existing_versions: false })],
      ['transition-requests/create', READ_MODEL, (w, c) => call(w, 'POST', 'transition-requests/create', { name: c.model, version: '1', stage: 'Production' })],
      [
        'approve a Production request',
        PRODUCTION,
        async (w, c) => {
          expect((await call('reader', 'POST', 'transition-requests/create', { name: c.model, version: '1', stage: 'Production' })).status).toBe(200);
          return call(w, 'POST', 'transition-requests/approve', { name: c.model, version: '1', stage: 'Production', archive_existing_versions: false });
        },
      ],
      ['registered-models/delete', MANAGE, (w, c) => call(w, 'DELETE', 'registered-models/delete', { name: c.model })],
      ['model permissions (managed API)', MANAGE, (w, c) => call(w, 'GET', `/api/2.0/permissions/registered-models/${encodeURIComponent(c.model)}`)],
      ['users/create', ADMIN_ONLY, (w) => call(w, 'POST', 'users/create', { username: uniq('u'), password: 'p' })],
      ['audit-log', ADMIN_ONLY, (w) => call(w, 'GET', '/api/2.0/cairn/audit-log')],
      ['webhooks (MLflow)', ADMIN_ONLY, (w) => call(w, 'POST', 'webhooks', { name: 'h', url: 'http://127.0.0.1:9/h', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] })],
      ['groups', ADMIN_ONLY, (w) => call(w, 'GET', '/api/2.0/cairn/groups')],
    ];

    it.each(rows)('%s', async (_label, allowed, run) => {
      const outcome: Record<string, number> = {};
      const expected: Record<string, number | string> = {};
      for (const role of ROLES) {
        const reply = await run(userOf(role), await fixture());
        outcome[role] = reply.status;
        expected[role] = allowed.includes(role) ? 200 : 403;
        if (reply.status === 403) expect(reply.body).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      }
      expect(outcome).toEqual(expected);
    });
  });

  describe('what the caller may read', () => {
    it('filters search results and gives creators MANAGE', async () => {
      const mine = await call<{ experiment_id: string }>('editor', 'POST', 'experiments/create', { name: uniq('editor-exp') });
      const model = uniq('editor-model');
      expect((await call('editor', 'POST', 'registered-models/create', { name: model })).status).toBe(200);
      const names = async (who: string) =>
        (await call<{ experiments: { experiment_id: string }[] }>(who, 'POST', 'experiments/search', { max_results: 1000 })).body.experiments.map(
          (e) => e.experiment_id,
        );
      expect(await names('editor')).toContain(mine.body.experiment_id);
      expect(await names('outsider')).not.toContain(mine.body.experiment_id);
      expect(await names(ADMIN.user)).toContain(mine.body.experiment_id);
      const models = async (who: string) =>
        ((await call<{ registered_models?: { name: string }[] }>(who, 'GET', 'registered-models/search', { max_results: '1000' })).body.registered_models ?? []).map(
          (m) => m.name,
        );
      expect(await models('editor')).toContain(model);
      expect(await models('outsider')).not.toContain(model);
      expect((await call('editor', 'POST', 'model-versions/create', { name: model, source: 's3://b/editor/1' })).status).toBe(200);
      const versions = async (who: string) =>
        ((await call<{ model_versions?: { name: string }[] }>(who, 'GET', 'model-versions/search', { filter: `name = '${model}'` })).body.model_versions ?? []).map(
          (v) => v.name,
        );
      expect(await versions('editor')).toEqual([model]);
      expect(await versions('outsider')).toEqual([]);
      expect(await versions(ADMIN.user)).toEqual([model]);
      const perm = await call<{ experiment_permission: { permission: string } }>('editor', 'GET', 'experiments/permissions/get', {
        experiment_id: mine.body.experiment_id,
        username: 'editor',
      });
      expect(perm.body.experiment_permission.permission).toBe('MANAGE');
      // MLflow's API and the managed API are views of one model.
      expect((await call('editor', 'POST', 'registered-models/permissions/create', { name: model, username: 'outsider', permission: 'READ' })).status).toBe(200);
      const acl = await call<{ access_control_list: { user_name?: string; all_permissions: { permission_level: string }[] }[] }>(
        'editor',
        'GET',
        `/api/2.0/permissions/registered-models/${encodeURIComponent(model)}`,
      );
      expect(acl.body.access_control_list).toEqual(
        expect.arrayContaining([expect.objectContaining({ user_name: 'outsider', all_permissions: [expect.objectContaining({ permission_level: 'CAN_READ' })] })]),
      );
      expect(await models('outsider')).toContain(model);
      // Grants follow a rename.
      const renamed = `${model}-renamed`;
      expect((await call('editor', 'POST', 'registered-models/rename', { name: model, new_name: renamed })).status).toBe(200);
      const after = await call<{ registered_model_permission: { permission: string } }>('editor', 'GET', 'registered-models/permissions/get', {
        name: renamed,
        username: 'editor',
      });
      expect(after.body.registered_model_permission?.permission).toBe('MANAGE');
      expect(await models('outsider')).toContain(renamed);
    });

    it('sends the authenticated user to the registry, whatever X-Cairn-User says', async () => {
      const model = uniq('actor-model');
      expect((await call('owner', 'POST', 'registered-models/create', { name: model })).status).toBe(200);
      expect((await call('owner', 'POST', 'model-versions/create', { name: model, source: 's3://b/a/1' })).status).toBe(200);
      const res = await fetch(`${base}/api/2.0/mlflow/transition-requests/create`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('owner:owner-pw').toString('base64')}`,
          'content-type': 'application/json',
          'x-cairn-user': ADMIN.user,
        },
        body: JSON.stringify({ name: model, version: '1', stage: 'Staging' }),
      });
      const body = (await res.json()) as { request: { user_id: string } };
      expect(res.status).toBe(200);
      expect(body.request.user_id).toBe('owner');
    });

    it('keeps an append-only audit log of mutating calls, readable by admins with filters and paging', async () => {
      const denied = await call('outsider', 'POST', 'users/create', { username: uniq('x'), password: 'p' });
      expect(denied.status).toBe(403);
      const log = await call<{ entries: { user: string; action: string; status: number; target?: string; request_id: string; source_address: string }[] }>(
        ADMIN.user,
        'GET',
        '/api/2.0/cairn/audit-log',
        { user: 'outsider', action: 'users/create' },
      );
      expect(log.status).toBe(200);
      expect(log.body.entries[0]).toMatchObject({ user: 'outsider', action: 'POST /api/2.0/mlflow/users/create', status: 403, source_address: '127.0.0.1' });
      expect(log.body.entries[0]?.request_id).toEqual(denied.headers.get('x-request-id'));
      const page1 = await call<{ entries: { id: string }[]; next_page_token?: string }>(ADMIN.user, 'GET', '/api/2.0/cairn/audit-log', { max_results: '3' });
      expect(page1.body.entries).toHaveLength(3);
      const page2 = await call<{ entries: { id: string }[] }>(ADMIN.user, 'GET', '/api/2.0/cairn/audit-log', {
        max_results: '3',
        page_token: page1.body.next_page_token!,
      });
      expect(Number(page2.body.entries[0]?.id)).toBeLessThan(Number(page1.body.entries[2]?.id));
      const future = await call<{ entries: unknown[] }>(ADMIN.user, 'GET', '/api/2.0/cairn/audit-log', { start_time: String(Date.now() + 60_000) });
      expect(future.body.entries).toEqual([]);
      // Reads are not audited.
      const reads = await call<{ entries: unknown[] }>(ADMIN.user, 'GET', '/api/2.0/cairn/audit-log', { action: 'GET ' });
      expect(reads.body.entries).toEqual([]);
    });
  });
});

/** A tiny OIDC provider: an RSA key pair and its JWKS served over HTTP. */
function oidcProvider(): { url: () => string; token: (claims: Record<string, unknown>) => string; server: Server } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(publicKey).export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return {
    server,
    url: () => `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`,
    token: (claims) => {
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ iat: now, exp: now + 300, ...claims })}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    },
  };
}

describe('OIDC and rate limits', () => {
  const idp = oidcProvider();
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    await new Promise<void>((resolve) => idp.server.listen(0, '127.0.0.1', resolve));
    const base = await startServer({
      CAIRN_OIDC_ISSUER: 'https://idp.test',
      CAIRN_OIDC_AUDIENCE: 'cairn',
      CAIRN_OIDC_JWKS_URL: idp.url(),
      CAIRN_RATE_LIMIT_PER_MINUTE: '8',
    });
    call = client(base);
  });

  afterAll(() => new Promise<void>((resolve) => idp.server.close(() => resolve())));

  it('accepts a signed JWT from the configured issuer and audience, with its groups', async () => {
    const good = idp.token({ iss: 'https://idp.test', aud: 'cairn', sub: 's-1', preferred_username: 'sso-user', groups: ['ml'] });
    const me = await call<{ user: { username: string; groups: string[]; auth_method: string } }>({ bearer: good }, 'GET', 'users/current');
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ username: 'sso-user', is_admin: false, groups: ['ml'], auth_method: 'oidc' });
    const wrongAudience = idp.token({ iss: 'https://idp.test', aud: 'other', preferred_username: 'sso-user' });
    expect((await call({ bearer: wrongAudience }, 'GET', 'users/current')).status).toBe(401);
    const wrongIssuer = idp.token({ iss: 'https://evil.test', aud: 'cairn', preferred_username: 'sso-user' });
    expect((await call({ bearer: wrongIssuer }, 'GET', 'users/current')).status).toBe(401);
    const tampered = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('forged').toString('base64url')}`;
    expect((await call({ bearer: tampered }, 'GET', 'users/current')).status).toBe(401);
  });

  it('limits requests per user with 429 REQUEST_LIMIT_EXCEEDED and Retry-After', async () => {
    let limited: Reply | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const reply = await call(ADMIN.user, 'GET', 'experiments/get', { experiment_id: '0' });
      if (reply.status === 429) limited = reply;
      else expect(reply.status).toBe(200);
    }
    expect(limited?.body).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user has its own budget.
    const sso = idp.token({ iss: 'https://idp.test', aud: 'cairn', preferred_username: 'other-sso' });
    expect((await call({ bearer: sso }, 'GET', 'users/current')).status).toBe(200);
  });
});
