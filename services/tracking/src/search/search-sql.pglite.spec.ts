import { PGlite } from '@electric-sql/pglite';
import { compileExperimentSearch, ExperimentSearchInput } from './experiment-search.sql';
import { compileLoggedModelSearch, LoggedModelSearchInput } from './logged-model-search.sql';
import { compileRunSearch, RunSearchInput } from './run-search.sql';
import { FirstGroup, firstGroupParams, SearchQuery } from './sql-builder';

/**
 * Executes the compiled SQL on an in-memory PostgreSQL (PGlite) holding the
 * tracking schema and a handful of rows: proves the SQL is valid and that
 * the filters/orderings mean what MLflow means.
 * (Needs NODE_OPTIONS=--experimental-vm-modules, as scripts/test.sh sets.)
 */

const SCHEMA = `
CREATE SCHEMA tracking;
CREATE TABLE tracking.experiments (experiment_id bigint PRIMARY KEY, name text UNIQUE, artifact_location text,
  lifecycle_stage text, creation_time bigint, last_update_time bigint);
CREATE TABLE tracking.experiment_tags (experiment_id bigint, key text, value text, PRIMARY KEY (experiment_id, key));
CREATE TABLE tracking.runs (run_uuid text PRIMARY KEY, experiment_id bigint, name text, user_id text, status text,
  start_time bigint, end_time bigint, lifecycle_stage text, artifact_uri text, deleted_time bigint);
CREATE TABLE tracking.params (run_uuid text, key text, value text, PRIMARY KEY (run_uuid, key));
CREATE INDEX ON tracking.params (key, value);
CREATE TABLE tracking.tags (run_uuid text, key text, value text, PRIMARY KEY (run_uuid, key));
CREATE INDEX ON tracking.tags (key, value);
CREATE TABLE tracking.latest_metrics (run_uuid text, key text, value double precision, timestamp bigint, step bigint,
  is_nan boolean, PRIMARY KEY (run_uuid, key));
CREATE INDEX ON tracking.latest_metrics (key, value);
CREATE TABLE tracking.datasets (dataset_uuid text PRIMARY KEY, experiment_id bigint, name text, digest text,
  source_type text, source text, schema text, profile text);
CREATE TABLE tracking.run_inputs (run_uuid text, dataset_uuid text, context text, PRIMARY KEY (run_uuid, dataset_uuid));
CREATE TABLE tracking.logged_models (model_id text PRIMARY KEY, experiment_id bigint, name text, artifact_location text,
  creation_timestamp bigint, last_updated_timestamp bigint, status text, lifecycle_stage text, model_type text,
  source_run_id text, status_message text);
CREATE TABLE tracking.logged_model_params (model_id text, key text, value text, PRIMARY KEY (model_id, key));
CREATE TABLE tracking.logged_model_tags (model_id text, key text, value text, PRIMARY KEY (model_id, key));
CREATE TABLE tracking.logged_model_metrics (model_id text, key text, value double precision, timestamp bigint,
  step bigint, run_id text, dataset_name text, dataset_digest text);
`;

/** Run ids are 32 hex chars; r(3) = "000…03". */
const r = (n: number): string => n.toString(16).padStart(32, '0');

const DATA = `
INSERT INTO tracking.runs VALUES
  ('${r(1)}', 1, 'alpha', 'ann', 'FINISHED', 1000, 2000, 'active', 's3://bucket/1', NULL),
  ('${r(2)}', 1, 'beta',  'bob', 'RUNNING',  3000, NULL, 'active', 's3://bucket/2', NULL),
  ('${r(3)}', 1, 'Gamma', 'ann', 'FAILED',   2000, 2500, 'active', 'file:///tmp/3', NULL),
  ('${r(4)}', 2, 'delta', 'cat', 'FINISHED', 4000, 5000, 'active', 's3://bucket/4', NULL),
  ('${r(5)}', 1, 'eps',   'ann', 'KILLED',   5000, 5100, 'deleted', 's3://bucket/5', 5200),
  ('${r(6)}', 1, 'zeta',  'dan', 'FINISHED', 3000, 3500, 'active', 's3://bucket/6', NULL);
INSERT INTO tracking.latest_metrics VALUES
  ('${r(1)}', 'acc', 0.9, 1, 0, false), ('${r(1)}', 'loss', 0.3, 1, 0, false),
  ('${r(2)}', 'acc', 0.7, 1, 0, false),
  ('${r(3)}', 'acc', 'NaN', 1, 0, true), ('${r(3)}', 'loss', 0.5, 1, 0, false),
  ('${r(4)}', 'acc', 0.95, 1, 0, false),
  ('${r(5)}', 'acc', 0.99, 1, 0, false),
  ('${r(6)}', 'loss', 0.1, 1, 0, false), ('${r(6)}', 'my metric', 42, 1, 0, false);
INSERT INTO tracking.params VALUES
  ('${r(1)}', 'lr', '0.1'), ('${r(1)}', 'model', 'cnn'),
  ('${r(2)}', 'lr', '0.01'), ('${r(2)}', 'model', 'CNN-large'),
  ('${r(3)}', 'lr', '0.1'),
  ('${r(6)}', 'model', 'rnn');
INSERT INTO tracking.tags VALUES
  ('${r(1)}', 'team', 'core'), ('${r(1)}', 'priority', 'b'), ('${r(1)}', 'mlflow.runName', 'alpha'),
  ('${r(2)}', 'team', 'Core'), ('${r(2)}', 'priority', 'a'),
  ('${r(3)}', 'team', 'infra'), ('${r(3)}', 'priority', 'c'),
  ('${r(6)}', 'note', 'it''s 100%');
INSERT INTO tracking.datasets VALUES
  ('d1', 1, 'train', 'abc', 'local', 'x', NULL, NULL),
  ('d2', 1, 'eval', 'def', 'local', 'y', NULL, NULL);
INSERT INTO tracking.run_inputs VALUES
  ('${r(1)}', 'd1', 'training'), ('${r(1)}', 'd2', 'eval'),
  ('${r(2)}', 'd1', 'training'),
  ('${r(3)}', 'd2', NULL);
INSERT INTO tracking.experiments VALUES
  (0, 'Default', 'a/0', 'active', 100, 500),
  (1, 'exp-alpha', 'a/1', 'active', 200, 300),
  (2, 'exp-beta', 'a/2', 'active', 300, 400),
  (3, 'old', 'a/3', 'deleted', 50, 600),
  (4, 'exp-gamma', 'a/4', 'active', 300, 100);
INSERT INTO tracking.experiment_tags VALUES (1, 'owner', 'ann'), (2, 'owner', 'bob');
INSERT INTO tracking.logged_models VALUES
  ('m-1', 1, 'model-a', 'x', 100, 150, 'READY', 'active', 'sklearn', '${r(1)}', NULL),
  ('m-2', 1, 'model-b', 'x', 200, 250, 'PENDING', 'active', 'pytorch', '${r(2)}', NULL),
  ('m-3', 1, 'model-c', 'x', 200, 300, 'READY', 'active', NULL, NULL, NULL),
  ('m-4', 2, 'model-d', 'x', 400, 400, 'READY', 'active', NULL, NULL, NULL),
  ('m-5', 1, 'model-e', 'x', 500, 500, 'READY', 'deleted', NULL, NULL, NULL);
INSERT INTO tracking.logged_model_metrics VALUES
  ('m-1', 'acc', 0.5, 1, 0, '${r(1)}', 'eval', 'e1'),
  ('m-1', 'acc', 0.8, 2, 0, '${r(1)}', 'eval', 'e1'),
  ('m-1', 'acc', 0.6, 3, 0, '${r(1)}', 'train', 't1'),
  ('m-2', 'acc', 0.9, 1, 0, '${r(2)}', 'train', 't1'),
  ('m-3', 'loss', 0.2, 1, 0, NULL, NULL, NULL),
  ('m-5', 'acc', 0.99, 1, 0, NULL, NULL, NULL);
INSERT INTO tracking.logged_model_params VALUES ('m-1', 'lr', '0.1'), ('m-2', 'lr', '0.2');
INSERT INTO tracking.logged_model_tags VALUES ('m-1', 'env', 'prod'), ('m-3', 'env', 'dev');
`;

let db: PGlite;

beforeAll(async () => {
  db = await PGlite.create();
  await db.exec(SCHEMA);
  await db.exec(DATA);
}, 60_000);

afterAll(async () => {
  await db.close();
});

/** Pages a split search's walk settled (RunsRepository.searchRunIds would not run the whole statement). */
let settledByFirstGroup = 0;
/** Of those, pages the walk also settled with other match counts than its own. */
let settledWithOtherCounts = 0;

/** The walk's rows with these match counts: the page when there are `first.rows` of them. */
async function walked(first: FirstGroup, counts: readonly number[]): Promise<string[]> {
  return (await db.query<{ run_uuid: string }>(first.sql, firstGroupParams(first, counts))).rows.map((row) => row.run_uuid);
}

/**
 * The page of the whole (joined) statement; where the walk settles it, it
 * must be the same page: with the counts its counting statement gives, and
 * with any others (stale ones a caller reused: they choose how the walk runs,
 * never what it returns).
 */
async function ids(query: SearchQuery): Promise<string[]> {
  const result = await db.query<unknown[]>(query.sql, query.params, { rowMode: 'array' });
  const page = result.rows.map((row) => String(row[0]));
  const first = query.firstGroup;
  if (first) {
    const row = (await db.query<Record<string, unknown>>(first.counts.sql, first.counts.params)).rows[0] ?? {};
    const counts = Array.from({ length: first.counts.n }, (_, i) => Number(row[`k${i}`]));
    const rows = await walked(first, counts);
    if (rows.length === first.rows) {
      expect(rows).toEqual(page);
      settledByFirstGroup += 1;
    }
    for (const other of [counts.map(() => 0), counts.map(() => 1e9), counts.map(() => 1000), counts.map((k, i) => (i === 0 ? 1e9 : k))]) {
      const stale = await walked(first, other);
      if (stale.length === first.rows) {
        expect(stale).toEqual(page);
        settledWithOtherCounts += 1;
      }
    }
  }
  return page;
}

/** Run ids by number, so expectations read as [2, 6, 3, 1]. */
async function runs(over: Partial<RunSearchInput>): Promise<number[]> {
  const input: RunSearchInput = { experimentIds: [1], filter: '', orderBy: [], runViewType: 'ACTIVE_ONLY', maxResults: 100, offset: 0, ...over };
  return (await ids(compileRunSearch(input))).map((id) => parseInt(id, 16));
}

async function experiments(over: Partial<ExperimentSearchInput>): Promise<number[]> {
  const input: ExperimentSearchInput = { filter: '', orderBy: [], viewType: 'ACTIVE_ONLY', maxResults: 100, offset: 0, ...over };
  return (await ids(compileExperimentSearch(input))).map(Number);
}

async function models(over: Partial<LoggedModelSearchInput>): Promise<string[]> {
  const input: LoggedModelSearchInput = { experimentIds: [1], filter: '', orderBy: [], maxResults: 100, offset: 0, ...over };
  return ids(compileLoggedModelSearch(input));
}

describe('run search on PostgreSQL (PGlite)', () => {
  it('orders by start_time DESC then run id by default, per view type and experiments', async () => {
    expect(await runs({})).toEqual([2, 6, 3, 1]);
    expect(await runs({ runViewType: 'ALL' })).toEqual([5, 2, 6, 3, 1]);
    expect(await runs({ runViewType: 'DELETED_ONLY' })).toEqual([5]);
    expect(await runs({ experimentIds: [1, 2] })).toEqual([4, 2, 6, 3, 1]);
    expect(await runs({ experimentIds: [] })).toEqual([]);
  });

  it.each<[string, number[]]>([
    ['metrics.acc > 0.8', [1]],
    ['metrics.acc >= 0.7', [2, 1]],
    ['metrics.acc = 0.9', [1]],
    ['metrics.acc <= 0.7', [2]],
    ['metrics.acc < 1e0', [2, 1]],
    ['metrics.acc != 0.7', [3, 1]],
    ['metrics.loss < 1', [6, 3, 1]],
    ['metric.`my metric` = 42', [6]],
    ['metrics.acc > -1 AND metrics.loss > 0.2', [1]],
  ])('metric filter %s', async (filter, expected) => {
    expect(await runs({ filter })).toEqual(expected);
  });

  it.each<[string, number[]]>([
    ["params.lr = '0.1'", [3, 1]],
    ["params.lr != '0.1'", [2]],
    ["params.model LIKE 'cnn%'", [1]],
    ["params.model ILIKE 'cnn%'", [2, 1]],
    ["param.model ILIKE '%n'", [6, 1]],
    ["tags.team = 'core'", [1]],
    ["tags.team ILIKE 'CORE'", [2, 1]],
    ["tags.team != 'core'", [2, 3]],
    ["tags.note = 'it''s 100%'", [6]],
    [`tags.note = "it's 100%"`, [6]],
    ["tags.note LIKE '%100\\%'", [6]],
    ["tags.`mlflow.runName` = 'alpha'", [1]],
    ["tags.team = 'x''); DROP TABLE tracking.runs; --'", []],
    ['tags.team IS NOT NULL', [2, 3, 1]],
    ['tags.team IS NULL', [6]],
    ["tags.team IS NULL AND params.model LIKE '%n'", [6]],
  ])('param/tag filter %s', async (filter, expected) => {
    expect(await runs({ filter })).toEqual(expected);
  });

  it.each<[string, number[]]>([
    ["attributes.status = 'FINISHED'", [6, 1]],
    [`run_id NOT IN ('${r(1)}', '${r(3)}')`, [2, 6]],
    ["run_name LIKE '%a'", [2, 6, 3, 1]],
    ["run_name LIKE 'g%'", []],
    ["attributes.run_name ILIKE 'g%'", [3]],
    [`"run name" = 'beta'`, [2]],
    [`run_id IN ('${r(1)}', '${r(3)}')`, [3, 1]],
    [`attr.run_id = '${r(2)}'`, [2]],
    ["user_id = 'ann'", [3, 1]],
    ["artifact_uri LIKE 's3://%'", [2, 6, 1]],
    ['start_time >= 2000', [2, 6, 3]],
    ['created < 2000', [1]],
    ['end_time > 0', [6, 3, 1]],
    ['end_time != 2000', [6, 3]],
    ['attributes.start_time = 3000.0', [2, 6]],
  ])('attribute filter %s', async (filter, expected) => {
    expect(await runs({ filter })).toEqual(expected);
  });

  it.each<[string, number[]]>([
    ["datasets.name = 'train'", [2, 1]],
    ["datasets.digest IN ('def')", [3, 1]],
    ["datasets.context = 'training'", [2, 1]],
    ["datasets.name != 'train'", [3, 1]],
    ["datasets.name NOT IN ('train', 'eval')", []],
    ["dataset.context LIKE 'ev%'", [1]],
    ["datasets.name = 'train' AND status = 'RUNNING'", [2]],
  ])('dataset filter %s', async (filter, expected) => {
    expect(await runs({ filter })).toEqual(expected);
  });

  it('combines conditions of every kind with AND', async () => {
    const filter = "metrics.acc > 0.5 AND params.lr = '0.1' AND tags.team = 'core' AND datasets.name = 'eval' AND user_id = 'ann'";
    expect(await runs({ filter })).toEqual([1]);
  });

  it.each<[string[], number[]]>([
    [['metrics.acc DESC'], [1, 2, 3, 6]],
    [['metrics.acc ASC'], [2, 1, 3, 6]],
    [['metrics.loss'], [6, 1, 3, 2]],
    [['params.lr ASC'], [2, 3, 1, 6]],
    [['tags.priority DESC'], [3, 1, 2, 6]],
    [['start_time ASC'], [1, 3, 2, 6]],
    [['attributes.end_time ASC'], [1, 3, 6, 2]],
    [['end_time DESC'], [6, 3, 1, 2]],
    [['user_id'], [3, 1, 2, 6]],
    [['params.lr DESC', 'metrics.loss ASC'], [1, 3, 2, 6]],
  ])('order_by %j', async (orderBy, expected) => {
    expect(await runs({ orderBy })).toEqual(expected);
  });

  it('filters and orders together', async () => {
    expect(await runs({ filter: "tags.team ILIKE 'core'", orderBy: ['metrics.acc ASC'] })).toEqual([2, 1]);
  });

  it('pages through the real, NaN and missing groups of a leading metric key', async () => {
    for (const orderBy of [['metrics.acc DESC'], ['metrics.acc ASC'], ['metrics.loss DESC', 'params.lr']]) {
      const all = await runs({ orderBy });
      for (const maxResults of [1, 2, 3]) {
        const pages: number[] = [];
        for (let offset = 0; offset < all.length; offset += maxResults) {
          const page = await runs({ orderBy, maxResults, offset });
          expect(page).toEqual(all.slice(offset, offset + maxResults + 1));
          pages.push(...page.slice(0, maxResults));
        }
        expect(pages).toEqual(all);
      }
    }
    expect(await runs({ orderBy: ['metrics.loss DESC', 'params.lr'] })).toEqual([3, 1, 6, 2]);
    expect(await runs({ orderBy: ['metrics.acc DESC', 'metrics.loss ASC'] })).toEqual([1, 2, 3, 6]);
    expect(await runs({ orderBy: ['params.model', 'metrics.acc DESC'] })).toEqual([2, 1, 6, 3]);
  });

  describe('walking the leading metric key (experiment 9: 400 runs)', () => {
    // score: ties in groups of 50 (0..7), NaN for i >= 390, missing for 380..389; flat: 1.0 for all;
    // params kind ('rare' for 3, 120, 385, 395) and grp (i % 4).
    const run = (i: number) => 1000 + i;
    beforeAll(async () => {
      await db.exec(`
        INSERT INTO tracking.runs
          SELECT lpad(to_hex(1000 + i), 32, '0'), 9, 'w' || i, 'u', 'FINISHED', 10000 + i, NULL, 'active', 'x', NULL
          FROM generate_series(0, 399) AS i;
        INSERT INTO tracking.latest_metrics
          SELECT lpad(to_hex(1000 + i), 32, '0'), 'score', CASE WHEN i >= 390 THEN 'NaN' ELSE floor(i / 50) END, 1, 0, i >= 390
          FROM generate_series(0, 399) AS i WHERE i NOT BETWEEN 380 AND 389;
        INSERT INTO tracking.latest_metrics
          SELECT lpad(to_hex(1000 + i), 32, '0'), 'flat', 1.0, 1, 0, false FROM generate_series(0, 399) AS i;
        INSERT INTO tracking.params
          SELECT lpad(to_hex(1000 + i), 32, '0'), 'kind', CASE WHEN i IN (3, 120, 385, 395) THEN 'rare' ELSE 'common' END
          FROM generate_series(0, 399) AS i;
        INSERT INTO tracking.params SELECT lpad(to_hex(1000 + i), 32, '0'), 'grp', (i % 4)::text FROM generate_series(0, 399) AS i;
      `);
    });
    afterAll(async () => {
      const mine = `(SELECT run_uuid FROM tracking.runs WHERE experiment_id = 9)`;
      await db.exec(`DELETE FROM tracking.latest_metrics WHERE run_uuid IN ${mine}; DELETE FROM tracking.params WHERE run_uuid IN ${mine};
                     DELETE FROM tracking.runs WHERE experiment_id = 9;`);
    });

    const search = (filter: string, orderBy: string[], maxResults = 100, offset = 0) =>
      runs({ experimentIds: [9], filter, orderBy, maxResults, offset });

    it('returns what the joined query returns, page by page, whether the walk completes or not', async () => {
      const cases: [string, string[]][] = [
        // Rare: the walk gives up, the joined query answers (then the NaN and missing groups).
        ["params.kind = 'rare'", ['metrics.score DESC']],
        // Common: the walk fills the page from the top ties.
        ["params.grp = '1'", ['metrics.score DESC']],
        ["params.grp = '1' AND metrics.score < 7", ['metrics.score ASC']],
        // The matches are past the walk's bound: it gives up.
        ["params.grp = '1' AND metrics.score < 1", ['metrics.score DESC']],
        // One tie of 400 values: the walk stops inside it, which it must not trust.
        ["params.grp = '2'", ['metrics.flat DESC']],
        ["params.grp = '3' AND params.kind = 'common'", ['metrics.flat ASC', 'params.grp DESC']],
      ];
      const settledBefore = settledByFirstGroup;
      for (const [filter, orderBy] of cases) {
        // LIKE without wildcards: the same condition, never hashed (the joined query only).
        const reference = filter.replace(/ = '/g, " LIKE '");
        const all = await search(reference, orderBy, 1000);
        expect(await search(filter, orderBy, 1000)).toEqual(all);
        for (const maxResults of [1, 3]) {
          for (let offset = 0; offset < 4 * maxResults; offset += maxResults) {
            expect(await search(filter, orderBy, maxResults, offset)).toEqual(all.slice(offset, offset + maxResults + 1));
          }
        }
      }
      // The common pages came from the walk alone (and matched the joined statement's), also with other counts.
      expect(settledByFirstGroup - settledBefore).toBeGreaterThan(10);
      expect(settledWithOtherCounts).toBeGreaterThan(10);
    });

    it('orders real values, then NaN, then missing ones, ties by start_time DESC', async () => {
      expect(await search("params.kind = 'rare'", ['metrics.score DESC'])).toEqual([run(120), run(3), run(395), run(385)]);
      expect(await search("params.kind = 'rare'", ['metrics.score ASC'], 1)).toEqual([run(3), run(120)]);
      expect(await search("params.grp = '1'", ['metrics.score DESC'], 2)).toEqual([run(377), run(373), run(369)]);
      expect(await search("params.grp = '2'", ['metrics.flat DESC'], 1)).toEqual([run(398), run(394)]);
    });
  });

  it('matches long param values exactly', async () => {
    const long = 'L'.repeat(200);
    await db.exec(`INSERT INTO tracking.params VALUES ('${r(3)}', 'long', '${long}'), ('${r(6)}', 'long', '${long}x')`);
    try {
      expect(await runs({ filter: `params.long = '${long}'` })).toEqual([3]);
      expect(await runs({ filter: `params.long = '${long}x'` })).toEqual([6]);
      expect(await runs({ filter: `params.long = '${long.slice(1)}'` })).toEqual([]);
    } finally {
      await db.exec(`DELETE FROM tracking.params WHERE key = 'long'`);
    }
  });

  it('pages with LIMIT n+1 / OFFSET', async () => {
    expect(await runs({ maxResults: 2 })).toEqual([2, 6, 3]);
    expect(await runs({ maxResults: 2, offset: 2 })).toEqual([3, 1]);
    expect(await runs({ maxResults: 2, offset: 4 })).toEqual([]);
  });

  it('leaves the tables intact after hostile input', async () => {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tracking.runs');
    expect(rows[0]!.n).toBe(6);
  });
});

describe('experiment search on PostgreSQL (PGlite)', () => {
  it('orders by creation_time DESC, experiment_id ASC by default, per view type', async () => {
    expect(await experiments({})).toEqual([2, 4, 1, 0]);
    expect(await experiments({ viewType: 'ALL' })).toEqual([2, 4, 1, 0, 3]);
    expect(await experiments({ viewType: 'DELETED_ONLY' })).toEqual([3]);
  });

  it.each<[string, number[]]>([
    ["name LIKE 'exp-%'", [2, 4, 1]],
    ["name = 'Default'", [0]],
    ["attribute.name ILIKE 'EXP-B%'", [2]],
    ["name != 'Default'", [2, 4, 1]],
    ['creation_time > 200', [2, 4]],
    ['last_update_time <= 300', [4, 1]],
    ["tags.owner = 'ann'", [1]],
    ["tags.owner != 'ann'", [2]],
    ["tags.owner LIKE '%' AND creation_time < 300", [1]],
  ])('filter %s', async (filter, expected) => {
    expect(await experiments({ filter })).toEqual(expected);
  });

  it.each<[string[], number[]]>([
    [['name ASC'], [0, 1, 2, 4]],
    [['last_update_time DESC'], [0, 2, 1, 4]],
    [['creation_time DESC'], [4, 2, 1, 0]],
    [['experiment_id'], [0, 1, 2, 4]],
  ])('order_by %j', async (orderBy, expected) => {
    expect(await experiments({ orderBy })).toEqual(expected);
  });
});

describe('logged model search on PostgreSQL (PGlite)', () => {
  it('hides deleted models and orders by creation_timestamp DESC, model_id ASC by default', async () => {
    expect(await models({})).toEqual(['m-2', 'm-3', 'm-1']);
    expect(await models({ experimentIds: [1, 2] })).toEqual(['m-4', 'm-2', 'm-3', 'm-1']);
  });

  it.each<[string, string[]]>([
    ['metrics.acc > 0.7', ['m-2', 'm-1']],
    ['metrics.acc > 0.85', ['m-2']],
    ['metrics.acc < 0.55', ['m-1']],
    ["params.lr = '0.1'", ['m-1']],
    ["tags.env != 'prod'", ['m-3']],
    ["name LIKE 'model-%'", ['m-2', 'm-3', 'm-1']],
    ["status = 'READY'", ['m-3', 'm-1']],
    ["model_type = 'sklearn'", ['m-1']],
    [`source_run_id = '${r(1)}'`, ['m-1']],
    ["attributes.model_id = 'm-3'", ['m-3']],
    ['creation_time >= 200', ['m-2', 'm-3']],
    ['last_updated_timestamp < 200', ['m-1']],
  ])('filter %s', async (filter, expected) => {
    expect(await models({ filter })).toEqual(expected);
  });

  it('scopes metric conditions to the requested datasets', async () => {
    expect(await models({ filter: 'metrics.acc > 0.7', datasets: [{ dataset_name: 'eval' }] })).toEqual(['m-1']);
    expect(await models({ filter: 'metrics.acc > 0.7', datasets: [{ dataset_name: 'train' }] })).toEqual(['m-2']);
  });

  it('keeps models with a metric on the datasets when no metric condition is given', async () => {
    expect(await models({ datasets: [{ dataset_name: 'eval' }] })).toEqual(['m-1']);
    expect(await models({ datasets: [{ dataset_name: 'train', dataset_digest: 't1' }] })).toEqual(['m-2', 'm-1']);
    expect(await models({ datasets: [{ dataset_name: 'train', dataset_digest: 'zzz' }] })).toEqual([]);
  });

  it.each<[LoggedModelSearchInput['orderBy'], string[]]>([
    [[{ field_name: 'metrics.acc', ascending: false }], ['m-2', 'm-1', 'm-3']],
    [[{ field_name: 'metrics.acc', ascending: true, dataset_name: 'eval' }], ['m-1', 'm-2', 'm-3']],
    [[{ field_name: 'name', ascending: false }], ['m-3', 'm-2', 'm-1']],
    [[{ field_name: 'creation_timestamp', ascending: true }], ['m-1', 'm-2', 'm-3']],
    [[{ field_name: 'last_updated_timestamp', ascending: false }], ['m-3', 'm-2', 'm-1']],
  ])('order_by %j', async (orderBy, expected) => {
    expect(await models({ orderBy })).toEqual(expected);
  });
});
