/**
 * Authentication overhead of the gateway (security issue): how much a cached
 * API token adds to a request. Not a test: it reports, it does not assert.
 *
 *   npm run build
 *   npx tsc bench/auth.ts --outDir /tmp/cairn-bench-auth --module commonjs --target es2022 --types node --skipLibCheck
 *   node /tmp/cairn-bench-auth/auth.js            # BENCH_AUTH_REQUESTS=20000 by default
 *
 * 1. In process: Authenticator.authenticate() on a cached bearer token
 *    (the compiled class from dist/, its repository faked), per call.
 * 2. Over HTTP against the embedded server with CAIRN_AUTH=on: GET /version
 *    (public, so the handler is the same) without credentials, with a cached
 *    API token and with cached Basic credentials, interleaved on one
 *    keep-alive connection; the p50 difference is the per-request overhead
 *    of the whole security chain (authenticate + rule + audit check).
 * 3. Transition → webhook delivery latency on the same embedded server
 *    (outbox → in-process bus → delivery row → signed POST to a local
 *    receiver): from sending the transition request to the receiver getting
 *    the MODEL_VERSION_TRANSITIONED_STAGE delivery (BENCH_WEBHOOK_TRANSITIONS=200).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(process.env.CAIRN_ROOT ?? process.cwd());
const N = Number(process.env.BENCH_AUTH_REQUESTS ?? 20000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(samples: number[]): { p50: number; p90: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
}

const fmt = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;

async function inProcess(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Authenticator } = require(path.join(ROOT, 'dist/services/gateway/src/security/authenticator.js')) as {
    Authenticator: new (config: unknown, repo: unknown, logger: unknown) => { authenticate(h: string): Promise<{ ok: boolean }> };
  };
  const token = `cairn_${'x'.repeat(43)}`;
  const repo = {
    findActiveToken: async () => ({ id: 't1', username: 'bench', is_admin: false, expires_at: null }),
    groupsOf: async () => [],
    touchToken: async () => undefined,
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const auth = new Authenticator({ security: { oidc: undefined } }, repo, silent);
  const header = `Bearer ${token}`;
  if (!(await auth.authenticate(header)).ok) throw new Error('token refused');
  const samples: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    const t0 = performance.now();
    await auth.authenticate(header);
    samples.push(performance.now() - t0);
  }
  const s = summary(samples.slice(10_000));
  console.log(`in process, cached API token: p50 ${fmt(s.p50)}  p90 ${fmt(s.p90)}  p99 ${fmt(s.p99)}  (200k calls)`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function request(agent: http.Agent, port: number, method: string, p: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function overHttp(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-auth-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/cairn.js'), 'server', '--port', String(port), '--data-dir', dataDir], {
    env: {
      ...process.env,
      CAIRN_AUTH: 'on',
      CAIRN_ADMIN_USERNAME: 'bench',
      CAIRN_ADMIN_PASSWORD: 'bench-pw',
      CAIRN_LOG_LEVEL: 'error',
      CAIRN_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1',
    },
    stdio: 'ignore',
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await request(agent, port, 'GET', '/health', {})).status === 200) break;
      } catch {
        // not up yet
      }
      if (i > 600) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const basic = `Basic ${Buffer.from('bench:bench-pw').toString('base64')}`;
    const made = await request(agent, port, 'POST', '/api/2.0/cairn/tokens', { authorization: basic, 'content-type': 'application/json' }, '{}');
    const token = (JSON.parse(made.text) as { token: string }).token;
    const variants: [string, Record<string, string>][] = [
      ['no credentials', {}],
      ['cached API token', { authorization: `Bearer ${token}` }],
      ['cached Basic', { authorization: basic }],
    ];
    const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let i = 0; i < 2000; i++) for (const [, h] of variants) await request(agent, port, 'GET', '/version', h);
    for (let i = 0; i < N; i++) {
      for (const [name, h] of variants) samples.get(name)!.push((await request(agent, port, 'GET', '/version', h)).ms);
    }
    const base = summary(samples.get('no credentials')!);
    for (const [name] of variants) {
      const s = summary(samples.get(name)!);
      const extra = name === 'no credentials' ? '' : `   overhead p50 ${fmt(s.p50 - base.p50)}`;
      console.log(`HTTP GET /version, ${name.padEnd(16)} p50 ${fmt(s.p50)}  p90 ${fmt(s.p90)}  p99 ${fmt(s.p99)}${extra}`);
    }
    const authz: number[] = [];
    for (let i = 0; i < Math.min(N, 5000); i++) {
      authz.push((await request(agent, port, 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=0', { authorization: `Bearer ${token}` })).ms);
    }
    const a = summary(authz);
    console.log(`HTTP experiments/get with a token (authn + authz + gRPC): p50 ${fmt(a.p50)}  p99 ${fmt(a.p99)}`);
    await webhookLatency(agent, port, token);
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function webhookLatency(agent: http.Agent, port: number, token: string): Promise<void> {
  const transitions = Number(process.env.BENCH_WEBHOOK_TRANSITIONS ?? 200);
  const waiting = new Map<string, (t: number) => void>();
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const at = performance.now();
      res.end('ok');
      const event = JSON.parse(body) as { event: string; version: string; to_stage: string };
      waiting.get(`${event.to_stage}`)?.(at);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookPort = (receiver.address() as { port: number }).port;
  const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const model = `bench-${Date.now()}`;
  await request(agent, port, 'POST', '/api/2.0/mlflow/registered-models/create', json, JSON.stringify({ name: model }));
  await request(agent, port, 'POST', '/api/2.0/mlflow/model-versions/create', json, JSON.stringify({ name: model, source: 's3://bench/1' }));
  const hook = await request(agent, port, 'POST', '/api/2.0/mlflow/registry-webhooks/create', json, JSON.stringify({
    model_name: model,
    events: ['MODEL_VERSION_TRANSITIONED_STAGE'],
    http_url_spec: { url: `http://127.0.0.1:${hookPort}/hook`, secret: 'bench-secret' },
  }));
  if (hook.status !== 200) throw new Error(`webhook: ${hook.text}`);
  const samples: number[] = [];
  try {
    for (let i = 0; i < transitions; i++) {
      // Arrivals at random times (a fixed rhythm would phase-lock with the outbox relay's poll).
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      const stage = i % 2 === 0 ? 'Staging' : 'None';
      const delivered = new Promise<number>((resolve) => waiting.set(stage, resolve));
      const t0 = performance.now();
      const moved = await request(agent, port, 'POST', '/api/2.0/mlflow/model-versions/transition-stage', json,
        JSON.stringify({ name: model, version: '1', stage, archive_existing_versions: false }));
      if (moved.status !== 200) throw new Error(`transition: ${moved.text}`);
      const at = await Promise.race([delivered, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no delivery in 10 s')), 10_000))]);
      samples.push(at - t0);
    }
  } finally {
    receiver.close();
  }
  const s = summary(samples);
  console.log(`transition → webhook delivered (embedded, ${transitions} transitions): p50 ${(s.p50).toFixed(1)} ms  p90 ${s.p90.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'dist/services/gateway/src/security/authenticator.js'))) throw new Error('run `npm run build` first (from the repository root)');
  console.log(`node ${process.version}, ${N} requests per variant`);
  await inProcess();
  await overHttp();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
