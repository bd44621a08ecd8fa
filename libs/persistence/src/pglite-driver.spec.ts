import { EventEmitter } from 'node:events';
import { PGlite } from '@electric-sql/pglite';
import { DataSource } from 'typeorm';
import { sharedPGliteDriver } from './pglite-driver';

/**
 * The trap from DESIGN.md §5: with one PGlite connection shared by every
 * TypeORM query runner, concurrent transactions interleave, and a rollback
 * can keep rows because another caller's COMMIT ran in between.
 */

/** The naive driver (what typeorm-pglite 0.3.4 does): every runner gets the one connection at once. */
function unlockedDriver(db: PGlite): { Pool: new () => unknown } {
  const client = Object.assign(new EventEmitter().setMaxListeners(0), {
    query: async (sql: string, params?: unknown[]) => {
      const r = params && params.length > 0 ? await db.query(sql, params) : (await db.exec(sql)).at(-1);
      return { rows: r?.rows ?? [], rowCount: r?.affectedRows ?? 0, command: '', fields: [] };
    },
  });
  const pool = Object.assign(new EventEmitter(), {
    connect: (cb: (e: unknown, c: unknown, release: () => void) => void) => cb(null, client, () => undefined),
    query: client.query,
    end: (cb: (e: unknown) => void) => cb(null),
  });
  return { Pool: function Pool() { return pool; } as unknown as new () => unknown };
}

async function dataSourceOver(driver: unknown): Promise<DataSource> {
  const ds = new DataSource({ type: 'postgres', driver, synchronize: false, entities: [] });
  await ds.initialize();
  await ds.query('CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, owner text NOT NULL)');
  await ds.query('TRUNCATE items');
  return ds;
}

/**
 * Pairs of transactions: a roller inserts, then waits until its partner has
 * committed (or 100 ms, when the partner cannot start before it ends), then
 * rolls back. Returns the ids of rolled-back rows that survived.
 */
async function interleave(ds: DataSource): Promise<number[]> {
  const pairs = Array.from({ length: 10 }, async (_, i) => {
    let partnerCommitted!: () => void;
    const committed = new Promise<void>((resolve) => (partnerCommitted = resolve));
    const roller = ds
      .transaction(async (m) => {
        await m.query('INSERT INTO items (id, owner) VALUES ($1, $2)', [2 * i + 1, 'rollback']);
        await Promise.race([committed, new Promise((r) => setTimeout(r, 100))]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const committer = ds
      .transaction((m) => m.query('INSERT INTO items (id, owner) VALUES ($1, $2)', [2 * i, 'commit']))
      .then(() => partnerCommitted());
    await Promise.all([roller, committer]);
  });
  await Promise.all(pairs);
  const rows = await ds.query<{ id: number }[]>(`SELECT id FROM items WHERE owner = 'rollback' ORDER BY id`);
  return rows.map((r) => r.id);
}

describe('PGlite driver for TypeORM', () => {
  let db: PGlite;

  beforeEach(async () => {
    db = await PGlite.create('memory://');
  });

  afterEach(async () => {
    await db.close();
  });

  it('isolates concurrent transactions: no rolled-back row survives, every committed row does', async () => {
    const ds = await dataSourceOver(sharedPGliteDriver(db));
    expect(await interleave(ds)).toEqual([]);
    const [{ n }] = await ds.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM items WHERE owner = 'commit'`);
    expect(n).toBe(10);
    await ds.destroy();
  });

  it('proves the test can fail: the unlocked shared connection loses rollbacks', async () => {
    const ds = await dataSourceOver(unlockedDriver(db));
    expect((await interleave(ds)).length).toBeGreaterThan(0);
  });

  it('shares one lock between DataSources of one process and parses int8 as number', async () => {
    const a = await dataSourceOver(sharedPGliteDriver(db));
    const b = new DataSource({ type: 'postgres', driver: sharedPGliteDriver(db), entities: [] });
    await b.initialize();
    const both = await Promise.all([
      a.transaction(async (m) => {
        await m.query('INSERT INTO items VALUES (1, $1)', ['a']);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll back a');
      }).catch(() => 'rolled back'),
      b.transaction((m) => m.query('INSERT INTO items VALUES (2, $1)', ['b'])),
    ]);
    expect(both[0]).toBe('rolled back');
    expect(await a.query('SELECT id FROM items ORDER BY id')).toEqual([{ id: 2 }]);
    expect(await a.query('SELECT 9007199254740991::int8 AS big')).toEqual([{ big: 9007199254740991 }]);
    await a.destroy();
    await b.destroy();
  });
});
