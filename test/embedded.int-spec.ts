import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mlflowApi, REPO_ROOT, spawnNode, startEmbeddedCairn } from '@cairn/testing';

/** Embedded mode: `cairn server` alone, on PGlite and the filesystem; restarts keep data. */
const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-embedded-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('embedded mode', () => {
  it('starts, answers, stops cleanly, and keeps its data across a restart', async () => {
    const first = await startEmbeddedCairn({ dataDir });
    const [proc] = first.processes.values();
    expect(proc?.output()).toContain(`Cairn is listening on ${first.base}`);
    expect(await (await fetch(`${first.base}/health`)).text()).toBe('OK');
    const api = mlflowApi(first.base);
    const got = await api.ok<{ experiment: { name: string } }>('GET', 'experiments/get?experiment_id=0');
    expect(got.experiment.name).toBe('Default');
    const { experiment_id } = await api.ok<{ experiment_id: string }>('POST', 'experiments/create', {
      name: 'kept',
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(await first.stop('SIGTERM')).toEqual([0]);

    const second = await startEmbeddedCairn({ dataDir });
    const again = await mlflowApi(second.base).ok<{ experiment: unknown }>('GET', `experiments/get?experiment_id=${experiment_id}`);
    expect(again.experiment).toMatchObject({ name: 'kept', tags: [{ key: 'k', value: 'v' }] });
    expect(await second.stop('SIGINT')).toEqual([0]);
  });

  it('refuses to start on a bad setting and names it', async () => {
    const proc = spawnNode(path.join(REPO_ROOT, 'bin/cairn.js'), ['server'], { ...process.env, CAIRN_PORT: 'not-a-port' }, REPO_ROOT);
    const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(proc.output()).toMatch(/CAIRN_PORT/);
  });
});
