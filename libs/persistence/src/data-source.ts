import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { DatabaseConfig } from '@cairn/config';
import { CallbackModeClient } from './pg-client';
import { openPGlite, sharedPGliteDriver } from './pglite-driver';

export interface ServiceDataSourceOptions {
  /** The PostgreSQL schema the service owns (tables, its migrations table). */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** Application name reported to PostgreSQL (pg_stat_activity). */
  applicationName: string;
}

/**
 * Per-session settings of every Cairn connection (options in the database
 * URL win). Cairn's queries are short OLTP statements: JIT compilation costs
 * 50-500 ms whenever a plan's estimate passes jit_above_cost (a search plans
 * alternatives it may never run, e.g. QueryBuilder.buildSplit's groups), and
 * starting parallel workers costs 10-30 ms on a busy host, more than the index
 * walks and probes of a page of results. PGlite has neither.
 */
const SESSION_OPTIONS = '-c jit=off -c max_parallel_workers_per_gather=0';

/**
 * One DataSource per service: `pg` against PostgreSQL, or the locked PGlite
 * pool in embedded mode. Same entities, same migrations; never `synchronize`.
 */
export async function createDataSource(db: DatabaseConfig, options: ServiceDataSourceOptions): Promise<DataSource> {
  const common = {
    type: 'postgres' as const,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    parseInt8: true,
    applicationName: options.applicationName,
  };
  let dsOptions: DataSourceOptions;
  if (db.kind === 'postgres') {
    dsOptions = {
      ...common,
      url: db.url,
      poolSize: db.poolSize,
      extra: { max: db.poolSize, options: SESSION_OPTIONS, Client: CallbackModeClient },
    };
  } else {
    const pglite = await openPGlite(db.dataDir);
    dsOptions = { ...common, driver: sharedPGliteDriver(pglite), poolSize: 1 };
  }
  const dataSource = new DataSource(dsOptions);
  await dataSource.initialize();
  return dataSource;
}

/**
 * Runs a service's pending migrations under a PostgreSQL advisory lock, so
 * that replicas starting together migrate once. Each migration runs in its own
 * transaction. With PGlite there is one process and one connection, so the
 * pool's lock already serialises everything.
 */
export async function runMigrations(dataSource: DataSource, schema: string, db: DatabaseConfig): Promise<string[]> {
  const migrate = async (): Promise<string[]> => {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  };
  if (db.kind === 'pglite') return migrate();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`cairn:migrations:${schema}`]);
    try {
      return await migrate();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`cairn:migrations:${schema}`]);
    }
  } finally {
    await runner.release();
  }
}
