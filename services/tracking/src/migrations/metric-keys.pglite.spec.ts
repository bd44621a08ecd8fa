import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllPGlite, createDataSource, runMigrations } from '@cairn/persistence';
import { trackingPersistence } from '../persistence';

type Row = { run_key: string; key: string; step: string; value: number; is_nan: boolean; model_id: string | null };

/**
 * MetricKeys1765400000000 on a database that already holds metric history:
 * every row is kept, its key now a key_id of tracking.metric_keys, and undoing
 * the migration gives the same rows back. (Embedded engine; needs --experimental-vm-modules.)
 */
describe('migration MetricKeys1765400000000', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-metric-keys-'));
  afterAll(async () => {
    await closeAllPGlite();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves the history to key ids and back, every row kept', async () => {
    const db = { kind: 'pglite' as const, dataDir: dir };
    const ds = await createDataSource(db, { ...trackingPersistence, applicationName: 'metric-keys-spec' });
    const rows = (keyOf: string) =>
      ds.query<Row[]>(
        `SELECT m.run_key::text, ${keyOf} AS key, m.step::text, m.value, m.is_nan, m.model_id FROM tracking.metrics m ORDER BY 1, 2, 3, 4`,
      );
    try {
      await runMigrations(ds, 'tracking', db);
      await ds.undoLastMigration({ transaction: 'each' });
      await ds.query(
        `INSERT INTO tracking.metrics (run_key, key, step, timestamp, value, is_nan, model_id)
         VALUES (1, 'loss', 0, 10, 0.5, false, NULL), (1, 'loss', 1, 11, 0.25, false, 'm-1'), (1, 'acc', 0, 10, 0, true, NULL),
                (2, 'loss', 0, 12, -1, false, NULL), (2, 'ünï ☃', 3, 12, 1e300, false, NULL)`,
      );
      const before = await rows('m.key');

      expect(await runMigrations(ds, 'tracking', db)).toEqual(['MetricKeys1765400000000']);
      const keys = await ds.query<{ key: string }[]>(`SELECT key FROM tracking.metric_keys ORDER BY key`);
      expect(keys.map((k) => k.key)).toEqual(['acc', 'loss', 'ünï ☃']);
      expect(await rows('(SELECT k.key FROM tracking.metric_keys k WHERE k.key_id = m.key_id)')).toEqual(before);
      // Still MLflow's metric identity: an identical row is refused.
      await expect(
        ds.query(
          `INSERT INTO tracking.metrics (run_key, key_id, step, timestamp, value, is_nan)
           SELECT 1, key_id, 0, 10, 0.5, false FROM tracking.metric_keys WHERE key = 'loss'`,
        ),
      ).rejects.toThrow(/duplicate key/);

      await ds.undoLastMigration({ transaction: 'each' });
      expect(await rows('m.key')).toEqual(before);
    } finally {
      await ds.destroy();
    }
  });
});
