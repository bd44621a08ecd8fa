import { EventEmitter } from 'node:events';
import { PGlite, types } from '@electric-sql/pglite';

/**
 * A `pg`-shaped driver for TypeORM over one PGlite instance.
 *
 * PGlite is a single connection. Handing that connection to every TypeORM
 * query runner at once (as typeorm-pglite 0.3.4 does) lets the statements of
 * concurrent transactions interleave: another caller's COMMIT can land in the
 * middle of a transaction that later rolls back. So this pool has exactly one
 * client, handed out under a lock: `connect` waits until the previous holder
 * calls `release`. A transaction thus owns the connection from BEGIN to
 * COMMIT/ROLLBACK. (See DESIGN.md, section 5.)
 */
interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: unknown[];
}

type Release = (err?: unknown) => void;
type ConnectCallback = (err: unknown, client: PGliteClient | null, release: Release) => void;
type QueryCallback = (err: unknown, result: PgResult | null) => void;

/** Serialises access to the single connection; FIFO so no caller starves. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return acquired;
  }
}

function commandOf(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*)*(\w+)/.exec(sql);
  return match?.[1]?.toUpperCase() ?? '';
}

class PGliteClient extends EventEmitter {
  constructor(private readonly db: PGlite) {
    super();
  }

  async query(sql: string, params?: unknown[] | QueryCallback, callback?: QueryCallback): Promise<PgResult> {
    const cb = typeof params === 'function' ? params : callback;
    const values = Array.isArray(params) ? params : undefined;
    try {
      const result = await runOn(this.db, sql, values);
      cb?.(null, result);
      return result;
    } catch (err) {
      if (cb) cb(err, null);
      throw err;
    }
  }
}

async function runOn(db: PGlite, sql: string, values: unknown[] | undefined): Promise<PgResult> {
  if (values !== undefined && values.length > 0) {
    const r = await db.query(sql, values);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length, command: commandOf(sql), fields: r.fields };
  }
  // Without parameters a string may hold several statements (migrations do).
  const results = await db.exec(sql);
  const last = results[results.length - 1];
  return {
    rows: last?.rows ?? [],
    rowCount: last?.affectedRows ?? last?.rows.length ?? 0,
    command: commandOf(sql),
    fields: last?.fields ?? [],
  };
}

export class LockedPGlitePool extends EventEmitter {
  private readonly mutex = new Mutex();
  private readonly client: PGliteClient;

  constructor(db: PGlite) {
    super();
    this.client = new PGliteClient(db);
  }

  connect(callback?: ConnectCallback): Promise<PGliteClient> {
    const acquired = this.mutex.acquire().then((unlock) => {
      let released = false;
      const release: Release = () => {
        if (released) return;
        released = true;
        unlock();
      };
      return { release };
    });
    if (callback) {
      acquired.then(
        ({ release }) => callback(null, this.client, release),
        (err: unknown) => callback(err, null, () => undefined),
      );
    }
    return acquired.then(() => this.client);
  }

  /** A one-off statement: takes the lock for just this statement. */
  async query(sql: string, params?: unknown[] | QueryCallback, callback?: QueryCallback): Promise<PgResult> {
    const unlock = await this.mutex.acquire();
    try {
      return await this.client.query(sql, params, callback);
    } finally {
      unlock();
    }
  }

  end(callback?: (err: unknown) => void): void {
    // The PGlite instance is shared by the process and closed by its owner.
    callback?.(null);
  }
}

export type PGliteDriver = { Pool: new () => LockedPGlitePool };

const instances = new Map<string, Promise<PGlite>>();
const drivers = new Map<PGlite, PGliteDriver>();

/** One PGlite per data directory per process; int8 parsed to number as with `pg` + parseInt8. */
export function openPGlite(dataDir: string): Promise<PGlite> {
  let opened = instances.get(dataDir);
  if (!opened) {
    opened = PGlite.create(dataDir === ':memory:' ? 'memory://' : dataDir, {
      parsers: { [types.INT8]: (value: string) => Number(value) },
    });
    instances.set(dataDir, opened);
  }
  return opened;
}

/**
 * TypeORM's `driver` option: an object with a `Pool` constructor like `pg`'s.
 * Every DataSource of the process gets the same pool for a given PGlite, so
 * one lock guards the one connection.
 */
export function sharedPGliteDriver(db: PGlite): PGliteDriver {
  let driver = drivers.get(db);
  if (!driver) {
    const pool = new LockedPGlitePool(db);
    driver = {
      Pool: function SharedPool() {
        return pool;
      } as unknown as new () => LockedPGlitePool,
    };
    drivers.set(db, driver);
  }
  return driver;
}

export async function closePGlite(dataDir: string): Promise<void> {
  const opened = instances.get(dataDir);
  if (!opened) return;
  instances.delete(dataDir);
  const db = await opened;
  drivers.delete(db);
  if (!db.closed) await db.close();
}

/** Closes every PGlite this process opened (last step of a shutdown). */
export async function closeAllPGlite(): Promise<void> {
  await Promise.all([...instances.keys()].map((dir) => closePGlite(dir)));
}
