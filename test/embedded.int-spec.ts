import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, REPO_ROOT, spawnNode, SpawnedProcess, waitFor } from '@cairn/testing';

/** Embedded mode: `cairn server` alone, on PGlite and the filesystem; restarts keep data. */
const CLI = path.join(REPO_ROOT, 'bin/cairn.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-embedded-'));
let port = 0;

async function start(): Promise<{ proc: SpawnedProcess; base: string }> {
  const proc = spawnNode(CLI, ['server', '--port', String(port), '--data-dir', dataDir], { ...process.env, CAIRN_LOG_LEVEL: 'warn' }, REPO_ROOT);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('embedded health', async () => (await fetch(`${base}/health`)).ok, 30000);
  } catch (err) {
    console.error(proc.output());
    await proc.stop('SIGKILL');
    throw err;
  }
  return { proc, base };
}

beforeAll(async () => {
  port = await freePort();
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('embedded mode', () => {
  it('starts, answers, stops cleanly, and keeps its data across a restart', async () => {
    const first = await start();
    expect(first.proc.output()).toContain(`Cairn is listening on ${first.base}`);
    const health = await fetch(`${first.base}/health`);
    expect(await health.text()).toBe('OK');
    const got = await fetch(`${first.base}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(((await got.json()) as { experiment: { name: string } }).experiment.name).toBe('Default');
    const created = await fetch(`${first.base}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kept', tags: [{ key: 'k', value: 'v' }] }),
    });
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    expect(await first.proc.stop('SIGTERM')).toBe(0);

    const second = await start();
    const again = await fetch(`${second.base}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`);
    expect(((await again.json()) as { experiment: unknown }).experiment).toMatchObject({ name: 'kept', tags: [{ key: 'k', value: 'v' }] });
    expect(await second.proc.stop('SIGINT')).toBe(0);
  });

  it('refuses to start on a bad setting and names it', async () => {
    const proc = spawnNode(CLI, ['server'], { ...process.env, CAIRN_PORT: 'not-a-port' }, REPO_ROOT);
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(proc.output()).toMatch(/CAIRN_PORT/);
  });
});
