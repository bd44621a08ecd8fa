import { PGlite } from '@electric-sql/pglite';
import { QueryRunner } from 'typeorm';
import { RegistryInitial1764400000000 } from '../migrations/1764400000000-initial';
import { MODEL_FILTER, parseRegistryFilter, VERSION_FILTER } from './filter';
import { parseModelOrderBy, parseVersionOrderBy } from './order-by';
import { compileModelSearch, compileVersionSearch, SearchQuery } from './search-sql';

/**
 * The registry migration and the compiled searches on an in-memory PostgreSQL
 * (PGlite): the DDL applies and rolls back, the SQL is valid, and filters and
 * orderings mean what MLflow means (prompts left out unless asked for).
 */
let pg: PGlite;

const DATA = `
INSERT INTO registry.registered_models (name, description, creation_time, last_updated_time, last_version) VALUES
  ('alpha', 'first', 100, 500, 3), ('beta', NULL, 200, 400, 2), ('Gamma', NULL, 300, 300, 1), ('prompt-1', NULL, 50, 50, 1);
INSERT INTO registry.registered_model_tags (model_key, key, value)
  SELECT model_key, 'team', CASE name WHEN 'alpha' THEN 'ml' WHEN 'beta' THEN 'ML-ops' ELSE 'data' END
    FROM registry.registered_models;
INSERT INTO registry.registered_model_tags (model_key, key, value)
  SELECT model_key, 'mlflow.prompt.is_prompt', 'true' FROM registry.registered_models WHERE name = 'prompt-1';
INSERT INTO registry.model_versions (model_key, version, creation_time, last_updated_time, current_stage, source, run_id, status)
  SELECT m.model_key, v.version, v.t, v.u, v.stage, v.src, v.run, 'READY'
    FROM (VALUES ('alpha', 1, 10, 11, 'Archived', 's3://b/a1', 'r1'), ('alpha', 2, 20, 60, 'Production', 's3://b/a2', 'r2'),
                 ('alpha', 3, 30, 31, 'None', 's3://b/a3', NULL), ('beta', 1, 40, 41, 'Staging', 's3://c/b1', 'r1'),
                 ('beta', 2, 50, 51, 'None', 's3://c/b2', 'r3'), ('Gamma', 1, 60, 61, 'None', 's3://c/g1', NULL),
                 ('prompt-1', 1, 70, 71, 'None', 'prompt', NULL)) AS v(name, version, t, u, stage, src, run)
    JOIN registry.registered_models m ON m.name = v.name;
INSERT INTO registry.model_version_tags (model_key, version, key, value)
  SELECT model_key, version, 'k', CASE WHEN version = 1 THEN 'one' ELSE 'many' END FROM registry.model_versions;
INSERT INTO registry.model_version_tags (model_key, version, key, value)
  SELECT model_key, version, 'long', repeat('x', 300) || version FROM registry.model_versions;
`;

beforeAll(async () => {
  pg = new PGlite();
  await pg.exec('CREATE SCHEMA registry');
  const runner = { query: (sql: string) => pg.exec(sql) } as unknown as QueryRunner;
  await new RegistryInitial1764400000000().up(runner);
  await pg.exec(DATA);
});

afterAll(async () => {
  await pg.close();
});

async function run<T>(q: SearchQuery): Promise<T[]> {
  return (await pg.query<T>(q.sql, q.params)).rows;
}

async function models(filter: string, orderBy: string[] = [], limit = 100, offset = 0): Promise<string[]> {
  const q = compileModelSearch(parseRegistryFilter(filter, MODEL_FILTER), parseModelOrderBy(orderBy), limit, offset);
  return (await run<{ name: string }>(q)).map((r) => r.name);
}

async function versions(filter: string, orderBy: string[] = []): Promise<string[]> {
  const q = compileVersionSearch(parseRegistryFilter(filter, VERSION_FILTER), parseVersionOrderBy(orderBy), 100, 0);
  return (await run<{ name: string; version: number }>(q)).map((r) => `${r.name}/${r.version}`);
}

describe('registered model search', () => {
  it('orders by name by default and leaves prompts out', async () => {
    expect(await models('')).toEqual(['Gamma', 'alpha', 'beta'].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('filters by name (LIKE is case-sensitive, ILIKE is not) and lists', async () => {
    expect(await models("name LIKE 'a%'")).toEqual(['alpha']);
    expect(await models("name ILIKE 'G%'")).toEqual(['Gamma']);
    expect(await models("name IN ('beta', 'Gamma', 'nope')")).toEqual(['Gamma', 'beta']);
    expect(await models("name != 'alpha'")).toEqual(['Gamma', 'beta']);
  });

  it('filters by tags; != needs the tag', async () => {
    expect(await models("tags.team = 'ml'")).toEqual(['alpha']);
    expect(await models("tags.team ILIKE 'ml%'")).toEqual(['alpha', 'beta']);
    expect(await models("tags.team != 'ml' AND tags.team LIKE '%a%'")).toEqual(['Gamma']);
    expect(await models("tags.missing != 'x'")).toEqual([]);
  });

  it('finds prompts only when asked', async () => {
    expect(await models("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual(['prompt-1']);
    expect(await models("tags.`mlflow.prompt.is_prompt` = 'false'")).toHaveLength(3);
  });

  it('orders by timestamps and pages', async () => {
    expect(await models('', ['timestamp DESC'])).toEqual(['alpha', 'beta', 'Gamma']);
    expect(await models('', ['creation_timestamp ASC'])).toEqual(['alpha', 'beta', 'Gamma']);
    expect(await models('', ['name DESC'], 2, 1)).toEqual(['alpha', 'Gamma']);
  });
});

describe('model version search', () => {
  it('orders by last update DESC, then name, then version DESC by default', async () => {
    expect(await versions('')).toEqual(['Gamma/1', 'alpha/2', 'beta/2', 'beta/1', 'alpha/3', 'alpha/1']);
  });

  it('filters by name, run_id, source_path and version_number', async () => {
    expect(await versions("name = 'alpha'", ['version_number ASC'])).toEqual(['alpha/1', 'alpha/2', 'alpha/3']);
    expect(await versions("run_id = 'r1'", ['name ASC'])).toEqual(['alpha/1', 'beta/1']);
    expect(await versions("run_id IN ('r2', 'r3')", ['name ASC'])).toEqual(['alpha/2', 'beta/2']);
    expect(await versions("source_path LIKE 's3://c/%' AND version_number > 1")).toEqual(['beta/2']);
    expect(await versions("name = 'alpha' AND version_number != 2", ['version_number DESC'])).toEqual(['alpha/3', 'alpha/1']);
  });

  it('filters by several tags, long values included', async () => {
    expect(await versions("tags.k = 'many' AND name ILIKE 'ALPHA'", ['version_number ASC'])).toEqual(['alpha/2', 'alpha/3']);
    expect(await versions(`tags.long = '${'x'.repeat(300)}2' AND tags.k = 'many'`, ['name ASC'])).toEqual(['alpha/2', 'beta/2']);
    expect(await versions("tags.long LIKE '%3' AND tags.k = 'many' AND tags.k != 'one'")).toEqual(['alpha/3']);
  });

  it('compares tag values through the indexed value_prefix', async () => {
    const q = compileVersionSearch(parseRegistryFilter("tags.k = 'one'", VERSION_FILTER), parseVersionOrderBy([]), 10, 0);
    expect(q.sql).toMatch(/f1\.value_prefix = \$\d+::text\n/);
    const long = `tags.k = '${'y'.repeat(250)}'`;
    const q2 = compileVersionSearch(parseRegistryFilter(long, VERSION_FILTER), parseVersionOrderBy([]), 10, 0);
    expect(q2.sql).toMatch(/f1\.value_prefix = left\(\$\d+::text, 200\) AND f1\.value = \$\d+::text/);
  });
});

describe('migration', () => {
  it('rolls back cleanly', async () => {
    const other = new PGlite();
    await other.exec('CREATE SCHEMA registry');
    const runner = { query: (sql: string) => other.exec(sql) } as unknown as QueryRunner;
    const migration = new RegistryInitial1764400000000();
    await migration.up(runner);
    await migration.down(runner);
    const left = await other.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'registry'`,
    );
    expect(left.rows[0]?.n).toBe(0);
    await other.close();
  });
});
