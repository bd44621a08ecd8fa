import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllPGlite, createDataSource, runMigrations } from '@cairn/persistence';
import { trackingPersistence } from '../persistence';

/**
 * RunIoFlag1765300000000 on a database that already holds runs: the runs
 * with a dataset input, a model input or a model output get has_io, the
 * others keep false. (Embedded engine; needs --experimental-vm-modules.)
 */
describe('migration RunIoFlag1765300000000', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-run-io-'));
  afterAll(async () => {
    await closeAllPGlite();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backfills has_io from the inputs and outputs already stored', async () => {
    const db = { kind: 'pglite' as const, dataDir: dir };
    const ds = await createDataSource(db, { ...trackingPersistence, applicationName: 'run-io-flag-spec' });
    try {
      await runMigrations(ds, 'tracking', db);
      await ds.undoLastMigration({ transaction: 'each' }); // MetricKeys1765400000000, the one after it
      await ds.undoLastMigration({ transaction: 'each' });
      const columns = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'tracking' AND table_name = 'runs' AND column_name = 'has_io'`,
      );
      expect(columns[0]?.n).toBe(0);

      await ds.query(
        `INSERT INTO tracking.experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (7, 'io', 'mlflow-artifacts:/7', 'active', 1, 1)`,
      );
      const runs = ['plain', 'dataset', 'model-in', 'model-out'];
      for (const id of runs) {
        await ds.query(
          `INSERT INTO tracking.runs (run_uuid, experiment_id, name, status, start_time, artifact_uri) VALUES ($1, 7, $1, 'RUNNING', 1, 'x')`,
          [id],
        );
      }
      await ds.query(
        `INSERT INTO tracking.datasets (dataset_uuid, experiment_id, name, digest, source_type, source) VALUES ('d1', 7, 'ds', 'dg', 'local', '{}')`,
      );
      await ds.query(`INSERT INTO tracking.run_inputs (run_uuid, dataset_uuid) VALUES ('dataset', 'd1')`);
      await ds.query(`INSERT INTO tracking.run_model_inputs (run_uuid, model_id) VALUES ('model-in', 'm-1')`);
      await ds.query(`INSERT INTO tracking.run_model_outputs (run_uuid, model_id, step) VALUES ('model-out', 'm-2', 3)`);

      expect(await runMigrations(ds, 'tracking', db)).toEqual(['RunIoFlag1765300000000', 'MetricKeys1765400000000']);
      const flags = await ds.query<{ run_uuid: string; has_io: boolean }[]>(
        `SELECT run_uuid, has_io FROM tracking.runs WHERE experiment_id = 7 ORDER BY run_uuid`,
      );
      expect(Object.fromEntries(flags.map((f) => [f.run_uuid, f.has_io]))).toEqual({
        plain: false,
        dataset: true,
        'model-in': true,
        'model-out': true,
      });
    } finally {
      await ds.destroy();
    }
  });
});
