import { PGlite } from '@electric-sql/pglite';
import { DataSource, QueryRunner } from 'typeorm';
import { RegistryInitial1764400000000 } from '../migrations/1764400000000-initial';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { RegistryTagIndex1764600000000 } from '../migrations/1764600000000-tag-index';
import { RegistrySearchElements1765500000000 } from '../migrations/1765500000000-search-elements';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';
import { RegistryViews } from '../services/views.service';
import { MODEL_FILTER, parseRegistryFilter, VERSION_FILTER } from './filter';
import { parseModelOrderBy, parseVersionOrderBy } from './order-by';
import { compileModelSearch, compileVersionSearch, MODEL_COLUMNS, SearchQuery, VERSION_COLUMNS } from './search-sql';

/** The JSON of a version and of a model, as MLflow's REST API shows them. */
interface JsonVersion {
  name: string;
  version: string;
  current_stage: string;
  source: string;
  tags: { key: string; value: string }[];
  aliases: string[];
}
interface JsonModel {
  name: string;
  latest_versions: JsonVersion[];
  tags: { key: string; value: string }[];
  aliases: { alias: string; version: string }[];
}

/**
 * The registry migrations and the compiled searches on an in-memory PostgreSQL
 * (PGlite): the DDL applies and rolls back, the SQL is valid, filters and
 * orderings mean what MLflow means (prompts left out unless asked for), the
 * triggers keep `tag_index` equal to the tag rows, and a page carries its
 * children (tags, aliases, latest versions).
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

function runnerOf(db: PGlite): QueryRunner {
  return { query: (sql: string) => db.exec(sql) } as unknown as QueryRunner;
}

beforeAll(async () => {
  pg = new PGlite();
  await pg.exec('CREATE SCHEMA registry');
  await new RegistryInitial1764400000000().up(runnerOf(pg));
  await new RegistryTagIndex1764600000000().up(runnerOf(pg));
  await new RegistrySearchElements1765500000000().up(runnerOf(pg));
  await pg.exec(DATA);
  await pg.exec(`INSERT INTO registry.registered_model_aliases (model_key, alias, version)
    SELECT model_key, a.alias, a.version FROM registry.registered_models, (VALUES ('prod', 2), ('champion', 2), ('old', 1)) AS a(alias, version)
     WHERE name = 'alpha'`);
});

afterAll(async () => {
  await pg.close();
});

async function run<T>(q: SearchQuery): Promise<T[]> {
  return (await pg.query<T>(q.sql, q.params)).rows;
}

async function db<T>(sql: string): Promise<T[]> {
  return (await pg.query<T>(sql)).rows;
}

/** A page's stored elements, parsed. */
async function page<T>(q: SearchQuery): Promise<T[]> {
  return (await run<{ element: string }>(q)).map((r) => JSON.parse(r.element) as T);
}

const modelPage = (q: SearchQuery): Promise<JsonModel[]> => page<JsonModel>(q);
const versionPage = (q: SearchQuery): Promise<JsonVersion[]> => page<JsonVersion>(q);

async function models(filter: string, orderBy: string[] = [], limit = 100, offset = 0): Promise<string[]> {
  const q = compileModelSearch(parseRegistryFilter(filter, MODEL_FILTER), parseModelOrderBy(orderBy), limit, offset);
  return (await modelPage(q)).map((m) => m.name);
}

async function versions(filter: string, orderBy: string[] = []): Promise<string[]> {
  const q = compileVersionSearch(parseRegistryFilter(filter, VERSION_FILTER), parseVersionOrderBy(orderBy), 100, 0);
  return (await versionPage(q)).map((v) => `${v.name}/${v.version}`);
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

  it('answers tag equalities from tag_index, long values also compared in full', async () => {
    const q = compileVersionSearch(parseRegistryFilter("tags.k = 'one' AND tags.x = 'y'", VERSION_FILTER), parseVersionOrderBy([]), 10, 0);
    expect(q.sql).toMatch(/v\.tag_index @> ARRAY\[registry\.tag_entry\(\$1::text, \$2::text\), registry\.tag_entry\(\$3::text, \$4::text\)\]/);
    expect(q.sql).not.toMatch(/JOIN registry\.model_version_tags /);
    const long = `tags.k = '${'y'.repeat(250)}'`;
    const q2 = compileVersionSearch(parseRegistryFilter(long, VERSION_FILTER), parseVersionOrderBy([]), 10, 0);
    expect(q2.sql).toMatch(/v\.tag_index @> ARRAY\[registry\.tag_entry/);
    expect(q2.sql).toMatch(/f1\.value_prefix = left\(\$\d+::text, 200\) AND f1\.value = \$\d+::text/);
  });

  it('tells apart values that share the indexed prefix', async () => {
    expect(await versions(`tags.long = '${'x'.repeat(300)}'`)).toEqual([]);
    expect(await versions(`tags.long = '${'x'.repeat(300)}3'`)).toEqual(['alpha/3']);
    expect(await versions(`tags.long = '${'x'.repeat(200)}'`)).toEqual([]);
  });

  it('returns each version with its tags (by key) and aliases (by name)', async () => {
    const page = await versionPage(compileVersionSearch(parseRegistryFilter("name = 'alpha'", VERSION_FILTER), parseVersionOrderBy(['version_number ASC']), 10, 0));
    expect(page.map((v) => [v.version, v.aliases])).toEqual([
      ['1', ['old']],
      ['2', ['champion', 'prod']],
      ['3', []],
    ]);
    expect(page[0]?.tags).toEqual([
      { key: 'k', value: 'one' },
      { key: 'long', value: `${'x'.repeat(300)}1` },
    ]);
  });
});

describe('model search pages', () => {
  it('carry tags, aliases and the latest version of each stage in stage order, with its tags', async () => {
    const [alpha] = await modelPage(compileModelSearch(parseRegistryFilter("name = 'alpha'", MODEL_FILTER), parseModelOrderBy([]), 10, 0));
    expect(alpha?.tags).toEqual([{ key: 'team', value: 'ml' }]);
    expect(alpha?.aliases).toEqual([
      { alias: 'champion', version: '2' },
      { alias: 'old', version: '1' },
      { alias: 'prod', version: '2' },
    ]);
    expect(alpha?.latest_versions.map((v) => [v.current_stage, v.version, v.source, v.aliases])).toEqual([
      ['None', '3', 's3://b/a3', []],
      ['Production', '2', 's3://b/a2', ['champion', 'prod']],
      ['Archived', '1', 's3://b/a1', ['old']],
    ]);
    expect(alpha?.latest_versions[1]?.tags).toEqual([
      { key: 'k', value: 'many' },
      { key: 'long', value: `${'x'.repeat(300)}2` },
    ]);
  });

  it('have empty lists when there are no children, and leave absent values out', async () => {
    await pg.exec(`INSERT INTO registry.registered_models (name, description, creation_time, last_updated_time) VALUES ('empty', '', 1, 2)`);
    const empty = await modelPage(compileModelSearch(parseRegistryFilter("name = 'empty'", MODEL_FILTER), parseModelOrderBy([]), 10, 0));
    expect(empty).toEqual([{ name: 'empty', creation_timestamp: 1, last_updated_timestamp: 2, latest_versions: [], tags: [], aliases: [] }]);
    await pg.exec(`DELETE FROM registry.registered_models WHERE name = 'empty'`);
  });
});

/** The repositories and views on a database: the per-entity loaders (get, create ...) next to the stored elements. */
function views(db: PGlite): { models: RegisteredModelsRepository; versions: ModelVersionsRepository; views: RegistryViews } {
  const query = async (sql: string, params?: unknown[]) => (await db.query(sql, params)).rows;
  const dataSource = { query, manager: { query } } as unknown as DataSource;
  const models = new RegisteredModelsRepository(dataSource);
  const versions = new ModelVersionsRepository(dataSource);
  return { models, versions, views: new RegistryViews(models, versions) };
}

/** A message as the gateway renders it (absent optional fields left out). */
const asJson = (message: unknown): unknown => JSON.parse(JSON.stringify(message));

/** Every model and version has one stored element: the JSON of the message its per-entity loader makes. */
async function expectElementsCurrent(db: PGlite = pg): Promise<void> {
  const r = views(db);
  const models = (await db.query<RegisteredModelEntity>(`SELECT ${MODEL_COLUMNS} FROM registry.registered_models m ORDER BY m.model_key`)).rows;
  const modelElements = await db.query<{ element: string }>(`SELECT element FROM registry.registered_model_elements ORDER BY model_key`);
  expect(modelElements.rows.map((e) => JSON.parse(e.element) as unknown)).toEqual(asJson(await r.views.modelMessages(models)));
  const versions = (
    await db.query<ModelVersionEntity>(
      `SELECT ${VERSION_COLUMNS} FROM registry.model_versions v JOIN registry.registered_models m ON m.model_key = v.model_key
        ORDER BY v.model_key, v.version`,
    )
  ).rows;
  const versionElements = await db.query<{ element: string }>(`SELECT element FROM registry.model_version_elements ORDER BY model_key, version`);
  expect(versionElements.rows.map((e) => JSON.parse(e.element) as unknown)).toEqual(asJson(await r.views.versionMessages(versions)));
}

describe('stored elements', () => {
  it('are the JSON of the messages made by loading each model and version with its children, in search order', async () => {
    await pg.exec(`UPDATE registry.model_versions SET description = 'd "quoted" é\n', user_id = 'u', run_link = 'http://x/y',
                     model_id = 'm-1', status_message = '' WHERE version = 2;
                   UPDATE registry.model_versions SET description = '', status_message = 'why ✓' WHERE version = 3;
                   UPDATE registry.registered_models SET user_id = 'owner', description = 'tab\tquote"' WHERE name = 'beta'`);
    await expectElementsCurrent();
    const r = views(pg);
    const modelPage = (await r.models.search(compileModelSearch([], parseModelOrderBy([]), 100, 0))).map((e) => JSON.parse(e) as JsonModel);
    expect(modelPage.map((m) => m.name)).toEqual(['Gamma', 'alpha', 'beta']);
    const modelRows = await db<RegisteredModelEntity>(`SELECT ${MODEL_COLUMNS} FROM registry.registered_models m`);
    const modelsInOrder = modelPage.map((m) => modelRows.find((row) => row.name === m.name)!);
    expect(modelPage).toEqual(asJson(await r.views.modelMessages(modelsInOrder)));
    const versionPage = (await r.versions.search(compileVersionSearch([], parseVersionOrderBy([]), 100, 0))).map((e) => JSON.parse(e) as JsonVersion);
    expect(versionPage.map((v) => `${v.name}/${v.version}`)).toEqual(['Gamma/1', 'alpha/2', 'beta/2', 'beta/1', 'alpha/3', 'alpha/1']);
    const versionRows = await db<ModelVersionEntity>(
      `SELECT ${VERSION_COLUMNS} FROM registry.model_versions v JOIN registry.registered_models m ON m.model_key = v.model_key`,
    );
    const versionsInOrder = versionPage.map((v) => versionRows.find((row) => row.name === v.name && String(row.version) === v.version)!);
    expect(versionPage).toEqual(asJson(await r.views.versionMessages(versionsInOrder)));
  });

  it('follow every write that changes what they show', async () => {
    const steps = [
      // model tags: insert, upsert, delete
      `INSERT INTO registry.registered_model_tags (model_key, key, value) SELECT model_key, 'owner', 'me' FROM registry.registered_models WHERE name = 'beta'`,
      `INSERT INTO registry.registered_model_tags (model_key, key, value) SELECT model_key, 'owner', 'you' FROM registry.registered_models WHERE name = 'beta'
         ON CONFLICT (model_key, key) DO UPDATE SET value = EXCLUDED.value`,
      `DELETE FROM registry.registered_model_tags WHERE key = 'owner'`,
      // aliases: set, move, delete
      `INSERT INTO registry.registered_model_aliases (model_key, alias, version) SELECT model_key, 'next', 2 FROM registry.registered_models WHERE name = 'beta'`,
      `UPDATE registry.registered_model_aliases SET version = 3 WHERE alias = 'prod'`,
      `DELETE FROM registry.registered_model_aliases WHERE alias = 'old'`,
      // version tags: insert, update, delete
      `INSERT INTO registry.model_version_tags (model_key, version, key, value) SELECT model_key, 1, 'new', 'n' FROM registry.registered_models WHERE name = 'beta'`,
      `UPDATE registry.model_version_tags SET value = 'changed' WHERE key = 'k' AND version = 2`,
      `DELETE FROM registry.model_version_tags WHERE key = 'long' AND version = 3`,
      // stages, descriptions, statuses
      `UPDATE registry.model_versions SET current_stage = 'Production' WHERE version = 3 AND model_key = (SELECT model_key FROM registry.registered_models WHERE name = 'alpha')`,
      `UPDATE registry.model_versions SET current_stage = 'Archived', last_updated_time = 999 WHERE current_stage = 'Staging'`,
      `UPDATE registry.model_versions SET status = 'FAILED_REGISTRATION', status_message = 'gone' WHERE version = 1 AND source LIKE 's3://c/g%'`,
      `UPDATE registry.registered_models SET description = NULL, last_updated_time = 1000 WHERE name = 'alpha'`,
      // versions: a new one, a deleted one (the previous latest of its stage shows again)
      `INSERT INTO registry.model_versions (model_key, version, creation_time, last_updated_time, current_stage, source, status)
         SELECT model_key, 3, 80, 81, 'None', 's3://c/b3', 'PENDING_REGISTRATION' FROM registry.registered_models WHERE name = 'beta'`,
      `DELETE FROM registry.model_versions WHERE version = 3 AND source = 's3://c/b3'`,
      `DELETE FROM registry.model_versions WHERE version = 3 AND source = 's3://b/a3'`,
      // a rename: the versions carry the model's name
      `UPDATE registry.registered_models SET name = 'alpha-2' WHERE name = 'alpha'`,
      `UPDATE registry.registered_models SET name = 'alpha' WHERE name = 'alpha-2'`,
    ];
    for (const sql of steps) {
      await pg.exec(sql);
      await expectElementsCurrent();
    }
  });

  it('are not rewritten when nothing they show changed', async () => {
    const xmins = async (): Promise<string[]> =>
      (await db<{ x: string }>(`SELECT xmin::text AS x FROM registry.registered_model_elements UNION ALL SELECT xmin::text FROM registry.model_version_elements`)).map((r) => r.x);
    const before = await xmins();
    await pg.exec(`UPDATE registry.registered_models SET last_version = last_version, description = description;
                   UPDATE registry.model_versions SET storage_location = 's3://elsewhere'`);
    expect(await xmins()).toEqual(before);
  });

  it('go with their model', async () => {
    await pg.exec(`INSERT INTO registry.registered_models (name, creation_time, last_updated_time) VALUES ('short-lived', 1, 1);
                   INSERT INTO registry.model_versions (model_key, version, creation_time, last_updated_time, source, status)
                     SELECT model_key, 1, 1, 1, 's', 'READY' FROM registry.registered_models WHERE name = 'short-lived';
                   DELETE FROM registry.registered_models WHERE name = 'short-lived'`);
    await expectElementsCurrent();
  });
});

describe('tag_index', () => {
  const indexOf = async (name: string, version?: number): Promise<string[]> => {
    const sql =
      version === undefined
        ? `SELECT tag_index FROM registry.registered_models WHERE name = $1`
        : `SELECT v.tag_index FROM registry.model_versions v JOIN registry.registered_models m USING (model_key)
            WHERE m.name = $1 AND v.version = $2`;
    const { rows } = await pg.query<{ tag_index: string[] }>(sql, version === undefined ? [name] : [name, version]);
    return [...(rows[0]?.tag_index ?? [])].sort();
  };
  /** What the tag rows say tag_index must be. */
  const expectedOf = async (name: string, version?: number): Promise<string[]> => {
    const sql =
      version === undefined
        ? `SELECT registry.tag_entry(t.key, t.value) AS e FROM registry.registered_model_tags t
             JOIN registry.registered_models m USING (model_key) WHERE m.name = $1`
        : `SELECT registry.tag_entry(t.key, t.value) AS e FROM registry.model_version_tags t
             JOIN registry.registered_models m USING (model_key) WHERE m.name = $1 AND t.version = $2`;
    const { rows } = await pg.query<{ e: string }>(sql, version === undefined ? [name] : [name, version]);
    return rows.map((r) => r.e).sort();
  };

  it('holds one unambiguous entry per tag, the value cut at 200 characters', async () => {
    expect(await indexOf('alpha')).toEqual(['4:teamml']);
    expect(await indexOf('alpha', 1)).toEqual(['1:kone', `4:long${'x'.repeat(200)}`]);
  });

  it('follows inserts, upserts and deletes of tags, one or many rows per statement', async () => {
    const key = `(SELECT model_key FROM registry.registered_models WHERE name = 'beta')`;
    await pg.exec(`INSERT INTO registry.registered_model_tags (model_key, key, value) VALUES (${key}, 'a', '1'), (${key}, 'b', '2')`);
    await pg.exec(`INSERT INTO registry.registered_model_tags (model_key, key, value) VALUES (${key}, 'a', '3')
                   ON CONFLICT (model_key, key) DO UPDATE SET value = EXCLUDED.value`);
    await pg.exec(`UPDATE registry.registered_model_tags SET value = 'ML-ops2' WHERE model_key = ${key} AND key = 'team'`);
    await pg.exec(`DELETE FROM registry.registered_model_tags WHERE model_key = ${key} AND key = 'b'`);
    expect(await indexOf('beta')).toEqual(['1:a3', '4:teamML-ops2']);
    expect(await indexOf('beta')).toEqual(await expectedOf('beta'));
    expect(await models("tags.a = '3' AND tags.team = 'ML-ops2'")).toEqual(['beta']);
    await pg.exec(`DELETE FROM registry.registered_model_tags WHERE model_key = ${key} AND key = 'a'`);
    await pg.exec(`UPDATE registry.registered_model_tags SET value = 'ML-ops' WHERE model_key = ${key} AND key = 'team'`);
    expect(await indexOf('beta')).toEqual(['4:teamML-ops']);

    await pg.exec(`INSERT INTO registry.model_version_tags (model_key, version, key, value) VALUES (${key}, 1, 'k', 'uno')
                   ON CONFLICT (model_key, version, key) DO UPDATE SET value = EXCLUDED.value`);
    expect(await indexOf('beta', 1)).toEqual(await expectedOf('beta', 1));
    expect(await versions("tags.k = 'uno'")).toEqual(['beta/1']);
    await pg.exec(`UPDATE registry.model_version_tags SET value = 'one' WHERE model_key = ${key} AND version = 1 AND key = 'k'`);
    expect(await indexOf('beta', 1)).toEqual(await expectedOf('beta', 1));
  });

  it('leaves an owner whose set is already current alone', async () => {
    const key = `(SELECT model_key FROM registry.registered_models WHERE name = 'Gamma')`;
    await pg.exec(`UPDATE registry.registered_models SET tag_index = tag_index || registry.tag_entry('pre', 'set') WHERE model_key = ${key}`);
    const xmin = async () => (await pg.query<{ x: string }>(`SELECT xmin::text AS x FROM registry.registered_models WHERE model_key = ${key}`)).rows[0]?.x;
    const before = await xmin();
    await pg.exec(`INSERT INTO registry.registered_model_tags (model_key, key, value) VALUES (${key}, 'pre', 'set')`);
    expect(await xmin()).toBe(before);
    expect(await indexOf('Gamma')).toEqual(await expectedOf('Gamma'));
    await pg.exec(`DELETE FROM registry.registered_model_tags WHERE model_key = ${key} AND key = 'pre'`);
    expect(await indexOf('Gamma')).toEqual(['4:teamdata']);
  });

  it('survives deleting versions and models (cascades)', async () => {
    await pg.exec(`INSERT INTO registry.registered_models (name, creation_time, last_updated_time) VALUES ('doomed', 1, 1)`);
    const key = `(SELECT model_key FROM registry.registered_models WHERE name = 'doomed')`;
    await pg.exec(`INSERT INTO registry.model_versions (model_key, version, creation_time, last_updated_time, source, status)
                   VALUES (${key}, 1, 1, 1, 's', 'READY'), (${key}, 2, 1, 1, 's', 'READY')`);
    await pg.exec(`INSERT INTO registry.model_version_tags (model_key, version, key, value) VALUES (${key}, 1, 'z', 'z'), (${key}, 2, 'z', 'z')`);
    await pg.exec(`INSERT INTO registry.registered_model_tags (model_key, key, value) VALUES (${key}, 'z', 'z')`);
    expect(await versions("tags.z = 'z'", ['version_number ASC'])).toEqual(['doomed/1', 'doomed/2']);
    await pg.exec(`DELETE FROM registry.model_versions WHERE model_key = ${key} AND version = 1`);
    expect(await versions("tags.z = 'z'")).toEqual(['doomed/2']);
    await pg.exec(`DELETE FROM registry.registered_models WHERE name = 'doomed'`);
    expect(await versions("tags.z = 'z'")).toEqual([]);
    expect(await models("tags.z = 'z'")).toEqual([]);
  });
});

describe('migrations', () => {
  it('roll back cleanly', async () => {
    const other = new PGlite();
    await other.exec('CREATE SCHEMA registry');
    const runner = runnerOf(other);
    const initial = new RegistryInitial1764400000000();
    const tagIndex = new RegistryTagIndex1764600000000();
    const elements = new RegistrySearchElements1765500000000();
    await initial.up(runner);
    await tagIndex.up(runner);
    await elements.up(runner);
    await elements.down(runner);
    await tagIndex.down(runner);
    const routines = await other.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.routines WHERE routine_schema = 'registry'`,
    );
    expect(routines.rows[0]?.n).toBe(0);
    await initial.down(runner);
    const left = await other.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'registry'`,
    );
    expect(left.rows[0]?.n).toBe(0);
    await other.close();
  });

  it('fill tag_index from the tags already there', async () => {
    const other = new PGlite();
    await other.exec('CREATE SCHEMA registry');
    await new RegistryInitial1764400000000().up(runnerOf(other));
    await other.exec(DATA);
    await new RegistryTagIndex1764600000000().up(runnerOf(other));
    const { rows } = await other.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM registry.model_versions v
        WHERE (SELECT array_agg(e ORDER BY e) FROM unnest(v.tag_index) AS e)
              IS DISTINCT FROM (SELECT array_agg(registry.tag_entry(key, value) ORDER BY 1)
                                  FROM registry.model_version_tags t
                                 WHERE t.model_key = v.model_key AND t.version = v.version)`,
    );
    expect(rows[0]?.n).toBe(0);
    const prompts = await other.query<{ name: string }>(
      `SELECT name FROM registry.registered_models WHERE tag_index @> ARRAY['23:mlflow.prompt.is_prompttrue']`,
    );
    expect(prompts.rows.map((r) => r.name)).toEqual(['prompt-1']);
    await other.close();
  });

  it('render the elements of the models and versions already there', async () => {
    const other = new PGlite();
    await other.exec('CREATE SCHEMA registry');
    await new RegistryInitial1764400000000().up(runnerOf(other));
    await other.exec(DATA);
    await new RegistryTagIndex1764600000000().up(runnerOf(other));
    await new RegistrySearchElements1765500000000().up(runnerOf(other));
    const { rows } = await other.query<{ n: number }>(`SELECT count(*)::int AS n FROM registry.model_version_elements`);
    expect(rows[0]?.n).toBe(7);
    await expectElementsCurrent(other);
    await other.close();
  });
});
