import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, REPO_ROOT, stackEnv } from './stack';
import { freePort, spawnNode, SpawnedProcess, waitFor } from './process';

const CLI = path.join(REPO_ROOT, 'bin/cairn.js');
const GRPC_SERVICES = ['tracking', 'artifacts', 'registry', 'serving'] as const;

export interface RunningCairn {
  /** `http://127.0.0.1:<port>` of the gateway. */
  base: string;
  processes: Map<string, SpawnedProcess>;
  /** Stops every process (SIGTERM by default) and cleans up; resolves with their exit codes. */
  stop(signal?: NodeJS.Signals): Promise<(number | null)[]>;
}

async function whenHealthy(base: string, processes: Map<string, SpawnedProcess>, readyPath: string): Promise<void> {
  try {
    await waitFor(`Cairn at ${base}${readyPath}`, async () => (await fetch(`${base}${readyPath}`)).ok, 60000);
  } catch (err) {
    for (const [name, p] of processes) console.error(`--- ${name} ---\n${p.output()}`);
    await Promise.all([...processes.values()].map((p) => p.stop('SIGKILL')));
    throw err;
  }
}

/** `cairn server` (embedded: PGlite, filesystem, in-process bus) on a free port and a fresh data dir. */
export async function startEmbeddedCairn(options: { env?: NodeJS.ProcessEnv; dataDir?: string } = {}): Promise<
  RunningCairn & { dataDir: string }
> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'cairn-test-'));
  const port = await freePort();
  const proc = spawnNode(
    CLI,
    ['server', '--port', String(port), '--data-dir', dataDir],
    { ...process.env, CAIRN_LOG_LEVEL: 'warn', ...options.env },
    REPO_ROOT,
  );
  const processes = new Map([['cairn', proc]]);
  const base = `http://127.0.0.1:${port}`;
  await whenHealthy(base, processes, '/health');
  return {
    base,
    dataDir,
    processes,
    stop: async (signal = 'SIGTERM') => {
      const code = await proc.stop(signal);
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return [code];
    },
  };
}

/**
 * Distributed mode: the five services as separate processes against the
 * real stack (deploy/local), on a fresh PostgreSQL database. `npm run build` first.
 */
export async function startDistributedCairn(options: { env?: NodeJS.ProcessEnv; readyPath?: string } = {}): Promise<
  RunningCairn & { grpcPorts: Record<(typeof GRPC_SERVICES)[number], number>; databaseUrl: string }
> {
  const main = (svc: string): string => path.join(REPO_ROOT, 'dist/services', svc, 'src/main.js');
  const db = await createTestDatabase();
  const httpPort = await freePort();
  const grpcPorts = {} as Record<(typeof GRPC_SERVICES)[number], number>;
  for (const svc of GRPC_SERVICES) grpcPorts[svc] = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...stackEnv(),
    CAIRN_MODE: 'distributed',
    CAIRN_DATABASE_URL: db.url,
    CAIRN_PORT: String(httpPort),
    CAIRN_LOG_LEVEL: 'warn',
    CAIRN_OUTBOX_POLL_MS: '50',
    // Tests of authentication turn it on explicitly (with an admin) through options.env.
    CAIRN_AUTH: 'off',
    CAIRN_TRACKING_GRPC_URL: `127.0.0.1:${grpcPorts.tracking}`,
    CAIRN_ARTIFACTS_GRPC_URL: `127.0.0.1:${grpcPorts.artifacts}`,
    CAIRN_REGISTRY_GRPC_URL: `127.0.0.1:${grpcPorts.registry}`,
    CAIRN_SERVING_GRPC_URL: `127.0.0.1:${grpcPorts.serving}`,
    ...options.env,
  };
  const processes = new Map<string, SpawnedProcess>();
  for (const svc of GRPC_SERVICES) {
    processes.set(svc, spawnNode(main(svc), [], { ...env, CAIRN_GRPC_LISTEN: `127.0.0.1:${grpcPorts[svc]}` }, REPO_ROOT));
  }
  processes.set('gateway', spawnNode(main('gateway'), [], env, REPO_ROOT));
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    await whenHealthy(base, processes, options.readyPath ?? '/api/2.0/mlflow/experiments/get?experiment_id=0');
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    base,
    grpcPorts,
    databaseUrl: db.url,
    processes,
    stop: async (signal = 'SIGTERM') => {
      const codes = await Promise.all([...processes.values()].map((p) => p.stop(signal)));
      await db.drop();
      return codes;
    },
  };
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small MLflow REST client for tests: JSON in, parsed JSON (or `{raw}`) out, never throws on a status. */
export function mlflowApi(base: string, prefix = '/api/2.0/mlflow') {
  async function call<T = Record<string, unknown>>(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const init: RequestInit = {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${base}${prefix}/${route.replace(/^\//, '')}`, init);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    call,
    /** Like `call`, but fails the test unless the answer is 200. */
    async ok<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> {
      const answer = await call<T>(method, route, body);
      if (answer.status !== 200) {
        throw new Error(`${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      }
      return answer.body;
    },
  };
}
