import { compileExperimentSearch } from './experiment-search.sql';
import { compileLoggedModelSearch } from './logged-model-search.sql';
import { compileRunSearch, RunSearchInput } from './run-search.sql';
import { expectInvalid } from './search-test-helpers';
import { firstGroupParams, MatchCountSlot } from './sql-builder';

const runInput = (over: Partial<RunSearchInput> = {}): RunSearchInput => ({
  experimentIds: [1],
  filter: '',
  orderBy: [],
  runViewType: 'ACTIVE_ONLY',
  maxResults: 100,
  offset: 0,
  ...over,
});

const count = (sql: string, pattern: RegExp): number => (sql.match(pattern) ?? []).length;

describe('compileRunSearch', () => {
  it('compiles the default query: experiments, view, start_time DESC then run_uuid, LIMIT n+1', () => {
    const { sql, params } = compileRunSearch(runInput({ experimentIds: [1, 2], maxResults: 10, offset: 20 }));
    expect(sql).toBe(
      [
        'SELECT r.run_uuid',
        'FROM tracking.runs r',
        "WHERE r.experiment_id IN ($1::bigint, $2::bigint)\n  AND r.lifecycle_stage = 'active'",
        'ORDER BY r.start_time DESC, r.run_uuid ASC',
        'LIMIT $3::bigint OFFSET $4::bigint',
      ].join('\n'),
    );
    expect(params).toEqual([1, 2, 11, 20]);
  });

  it('binds every user value as a parameter, never in the SQL text', () => {
    const evil = "x'); DROP TABLE tracking.runs; --";
    const { sql, params } = compileRunSearch(
      runInput({
        filter: `tags."${evil}" = '${evil.replace(/'/g, "''")}' AND params.p LIKE 'a%' AND metrics.m > 1e3 AND run_id IN ('a', 'b')`,
        orderBy: ['tags.`a"b` DESC'],
      }),
    );
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('a%');
    expect(sql).not.toContain('1e3');
    expect(params).toEqual(expect.arrayContaining([evil, 'a%', '1e3', 'a', 'b', 'a"b']));
  });

  it('uses one inner JOIN per metric/param/tag condition and EXISTS per dataset condition', () => {
    const { sql } = compileRunSearch(
      runInput({ filter: "metrics.a > 1 AND metrics.a < 5 AND params.p = 'x' AND tags.t != 'y' AND datasets.name = 'd'" }),
    );
    expect(count(sql, /^JOIN tracking\.latest_metrics f\d+ ON/gm)).toBe(2);
    expect(count(sql, /^JOIN tracking\.params f\d+ ON/gm)).toBe(1);
    expect(count(sql, /^JOIN tracking\.tags f\d+ ON/gm)).toBe(1);
    expect(count(sql, /EXISTS \(SELECT 1 FROM tracking\.run_inputs/g)).toBe(1);
    expect(sql).not.toContain('DISTINCT');
  });

  it('uses one LEFT JOIN per order key and keeps start_time/run_uuid tie-breakers', () => {
    const { sql } = compileRunSearch(runInput({ orderBy: ['params.p', 'metrics.acc DESC', 'tags.t ASC', 'end_time DESC'] }));
    expect(count(sql, /^LEFT JOIN /gm)).toBe(3);
    expect(sql).toContain(
      'ORDER BY o1.value ASC, CASE WHEN o2.is_nan THEN 1 WHEN o2.value IS NULL THEN 2 ELSE 0 END, o2.value DESC, ' +
        'o3.value ASC, r.end_time DESC NULLS LAST, r.start_time DESC, r.run_uuid ASC',
    );
  });

  it('splits a leading metric key into real values, then NaN and missing ones', () => {
    const { sql, params } = compileRunSearch(runInput({ orderBy: ['metrics.acc DESC', 'params.p'], maxResults: 10, offset: 20 }));
    expect(count(sql, /^LEFT JOIN tracking\.params o2 /gm)).toBe(3);
    expect(sql).toContain('JOIN tracking.latest_metrics o1 ON o1.run_uuid = r.run_uuid AND o1.key = $2::text AND o1.is_nan IS NOT TRUE AND o1.value IS NOT NULL');
    expect(sql).toContain('ORDER BY o1.value DESC, o2.value ASC, r.start_time DESC, r.run_uuid ASC\nLIMIT $4::bigint');
    expect(sql).toContain('JOIN tracking.latest_metrics o1 ON o1.run_uuid = r.run_uuid AND o1.key = $2::text AND o1.is_nan IS TRUE\n');
    expect(sql).toContain('AND NOT EXISTS (SELECT 1 FROM tracking.latest_metrics o1 WHERE o1.run_uuid = r.run_uuid AND o1.key = $2::text)');
    expect(sql).toContain('ORDER BY o2.value ASC, r.start_time DESC, r.run_uuid ASC\nLIMIT $4::bigint');
    // A later group runs only when the previous ones did not fill the page, gated above its query.
    expect(sql).toContain('g1 AS MATERIALIZED (SELECT run_uuid, n FROM g1q WHERE (SELECT count(*) FROM g0) < $4::bigint)');
    expect(sql).toContain('g2 AS MATERIALIZED (SELECT run_uuid, n FROM g2q WHERE (SELECT count(*) FROM g0) + (SELECT count(*) FROM g1) < $4::bigint)');
    expect(count(sql, /count\(\*\) FROM g0\)/g)).toBe(2);
    expect(sql).toMatch(/ORDER BY s\.g, s\.n\nLIMIT \$5::bigint OFFSET \$6::bigint$/);
    expect(params.slice(3)).toEqual([31, 11, 20]);
    // Without a condition to hash, the groups are plain joined queries.
    expect(sql).not.toContain('g0w');
  });

  it('first walks the leading metric key with hashed param/tag equalities, else falls back to the joined query', () => {
    const query = compileRunSearch(
      runInput({ filter: "metrics.m > 0.5 AND params.p = 'x' AND tags.t LIKE 'y%'", orderBy: ['metrics.acc ASC'], maxResults: 10 }),
    );
    // The walk is its own statement, run first (RunsRepository.searchRunIds); it uses every parameter.
    const sql = query.firstGroup?.sql ?? '';
    const params = query.firstGroup?.params ?? [];
    expect(query.firstGroup?.rows).toBe(11);
    // Matches counted by their own statement: the metric condition up to the selectivity threshold,
    // then (unless it is selective) the param equality up to the hash cap.
    const counts = query.firstGroup?.counts;
    expect(counts?.n).toBe(2);
    expect(counts?.sql).toBe(
      'SELECT k0, k1 FROM (SELECT *, CASE WHEN k1 >= $5::bigint THEN (SELECT count(*) FROM (SELECT 1 FROM tracking.params f1' +
        ' WHERE f1.key = $1::text AND f1.value = $2::text AND octet_length(f1.value) <= 1000 LIMIT $6::bigint + 1) c) ELSE 0 END AS k0' +
        ' FROM (SELECT (SELECT count(*) FROM (SELECT 1 FROM tracking.latest_metrics f3 WHERE f3.key = $3::text AND f3.is_nan IS NOT TRUE' +
        ' AND f3.value > $4::double precision LIMIT $5::bigint) c) AS k1, TRUE AS probed OFFSET 0) p OFFSET 0) k',
    );
    expect(counts?.params).toEqual(['p', 'x', 'm', '0.5', 110, 2200]);
    // The walk takes them as parameters (MatchCountSlot, filled by firstGroupParams).
    expect(sql).toMatch(/^WITH g0k AS MATERIALIZED \(SELECT \*, k0 >= \$13::bigint AND k1 >= \$13::bigint AS walk FROM \(SELECT \$15::bigint AS k0, \$16::bigint AS k1\) k\),\n/);
    expect(params.slice(14)).toEqual([new MatchCountSlot(0), new MatchCountSlot(1)]);
    if (query.firstGroup) expect(firstGroupParams(query.firstGroup, [7, 8]).slice(12)).toEqual([110, 2200, 7, 8]);
    expect(sql).toContain(
      'FROM (SELECT w.run_uuid, w.value FROM tracking.latest_metrics w WHERE w.key = $8::text AND w.is_nan IS NOT TRUE AND w.value IS NOT NULL ORDER BY w.value ASC LIMIT $12::bigint) o4\n' +
        'CROSS JOIN LATERAL (SELECT * FROM tracking.runs r WHERE r.run_uuid = o4.run_uuid OFFSET 0) r\n',
    );
    expect(sql).toContain(
      'AND CASE WHEN (SELECT k0 FROM g0k) <= $14::bigint THEN EXISTS (SELECT 1 FROM tracking.params f1 WHERE f1.run_uuid = o4.run_uuid AND f1.key = $2::text',
    );
    expect(sql).toContain('OFFSET 0) END\nORDER BY o4.value ASC, r.start_time DESC, r.run_uuid ASC\nLIMIT $9::bigint)');
    // The walk probes the metric and LIKE conditions; the joined statement (the fallback) has every join, and no walk.
    const walk = sql.slice(sql.indexOf('g0w AS'), sql.indexOf('g0c AS'));
    expect(count(walk, /^JOIN tracking\.latest_metrics f3 /gm)).toBe(1);
    expect(count(walk, /^JOIN tracking\.tags f2 /gm)).toBe(1);
    expect(count(walk, /^JOIN tracking\.params /gm)).toBe(0);
    const joined = query.sql.slice(query.sql.indexOf('g0 AS'), query.sql.indexOf('g1q AS'));
    expect(count(joined, /^JOIN tracking\.params f1 /gm)).toBe(1);
    expect(query.sql).not.toMatch(/g0k|g0w|g0c/);
    expect(sql).not.toMatch(/g0j|g1q|g2q|UNION/);
    expect(sql).toContain('WHEN NOT (SELECT walk FROM g0k) THEN false WHEN (SELECT count(*) FROM g0w) = $9::bigint');
    expect(sql).toContain('AND w.value <= (SELECT max(v) FROM g0w) LIMIT $12::bigint + 1) x) <= $12::bigint');
    // Rows only when the walk proves them: otherwise none, and the joined statement runs.
    expect(sql).toMatch(/\nSELECT run_uuid FROM g0w WHERE \(SELECT complete FROM g0c\) ORDER BY n LIMIT \$10::bigint OFFSET \$11::bigint$/);
    // needed rows, page size + 1 and offset, walk bound (100 per row), selectivity threshold (10 per row), hash cap (2 x the walk bound).
    expect(params.slice(8, 14)).toEqual([11, 11, 0, 1100, 110, 2200]);
    // The joined statement keeps only the parameters it references, numbered from $1.
    const used = [...new Set([...query.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
    expect(used).toEqual(Array.from({ length: query.params.length }, (_, i) => i + 1));
    expect(query.params).toEqual(params.slice(0, 11));
    const desc = compileRunSearch(runInput({ filter: "params.p = 'x'", orderBy: ['metrics.acc DESC'] })).firstGroup?.sql;
    expect(desc).toContain('AND w.value >= (SELECT min(v) FROM g0w)');
  });

  it('lets the (key, value) indexes drive param/tag equality, the (key, left(value, 200)) ones beyond 1000 bytes', () => {
    const { sql, params } = compileRunSearch(runInput({ filter: "params.p = 'x' AND tags.t LIKE 'y%'" }));
    expect(sql).toContain('JOIN tracking.params f1 ON f1.run_uuid = r.run_uuid AND f1.key = $2::text AND f1.value = $3::text AND octet_length(f1.value) <= 1000\n');
    expect(sql).toContain('JOIN tracking.tags f2 ON f2.run_uuid = r.run_uuid AND f2.key = $4::text AND f2.value LIKE $5::text');
    expect(params.slice(1, 5)).toEqual(['p', 'x', 't', 'y%']);
    const long = compileRunSearch(runInput({ filter: `params.p = '${'é'.repeat(501)}'` })).sql;
    expect(long).toContain('octet_length(f1.value) > 1000 AND left(f1.value, 200) = left($3::text, 200) AND f1.value = $3::text');
    const short = compileRunSearch(runInput({ filter: `tags.t = '${'é'.repeat(500)}'` })).sql;
    expect(short).toContain('f1.value = $3::text AND octet_length(f1.value) <= 1000');
  });

  it('does not repeat start_time when order_by names it', () => {
    const { sql } = compileRunSearch(runInput({ orderBy: ['created ASC'] }));
    expect(sql).toContain('ORDER BY r.start_time ASC, r.run_uuid ASC');
  });

  it('maps view types and an empty experiment list', () => {
    expect(compileRunSearch(runInput({ runViewType: 'DELETED_ONLY' })).sql).toContain("r.lifecycle_stage = 'deleted'");
    expect(compileRunSearch(runInput({ runViewType: 'ALL' })).sql).not.toContain('lifecycle_stage');
    expect(compileRunSearch(runInput({ experimentIds: [] })).sql).toContain('WHERE FALSE');
  });

  it('casts integer literals to bigint and other numerals to numeric for bigint columns', () => {
    expect(compileRunSearch(runInput({ filter: 'start_time > 5' })).sql).toContain('r.start_time > $2::bigint');
    expect(compileRunSearch(runInput({ filter: 'start_time > 5.5' })).sql).toContain('r.start_time > $2::numeric');
    expect(compileRunSearch(runInput({ filter: 'metrics.m > 5' })).sql).toContain('.value > $3::double precision');
  });

  it('validates paging and view type', () => {
    expectInvalid(() => compileRunSearch(runInput({ maxResults: 0 })), 'It must be a positive integer, but got 0');
    expectInvalid(() => compileRunSearch(runInput({ maxResults: 50_001 })), 'It must be at most 50000, but got 50001');
    expectInvalid(() => compileRunSearch(runInput({ offset: -1 })), 'Invalid offset -1');
    expectInvalid(() => compileRunSearch(runInput({ experimentIds: [1.5] })), "Invalid experiment id '1.5'");
    expectInvalid(() => compileRunSearch(runInput({ runViewType: 'SOME' as 'ALL' })), "Invalid view type 'SOME'");
  });

  it('surfaces parse errors', () => {
    expectInvalid(() => compileRunSearch(runInput({ filter: 'metrics.a > 1 OR metrics.b > 1' })), "'OR'");
    expectInvalid(() => compileRunSearch(runInput({ orderBy: ['metrics.a SIDEWAYS'] })), 'Invalid ordering key');
  });
});

describe('compileExperimentSearch', () => {
  it('defaults to creation_time DESC, experiment_id ASC', () => {
    const { sql, params } = compileExperimentSearch({ filter: '', orderBy: [], viewType: 'ALL', maxResults: 5, offset: 0 });
    expect(sql).toBe(
      [
        'SELECT e.experiment_id',
        'FROM tracking.experiments e',
        'ORDER BY e.creation_time DESC, e.experiment_id ASC',
        'LIMIT $1::bigint OFFSET $2::bigint',
      ].join('\n'),
    );
    expect(params).toEqual([6, 0]);
  });

  it('joins tags and breaks ties on experiment_id DESC for custom orders', () => {
    const { sql } = compileExperimentSearch({
      filter: "tags.owner = 'me' AND name LIKE 'x%'",
      orderBy: ['name'],
      viewType: 'ACTIVE_ONLY',
      maxResults: 5,
      offset: 0,
    });
    expect(sql).toContain('JOIN tracking.experiment_tags f1 ON f1.experiment_id = e.experiment_id AND f1.key = $1::text AND f1.value = $2::text');
    expect(sql).toContain('e.name LIKE $3::text');
    expect(sql).toContain('ORDER BY e.name ASC, e.experiment_id DESC');
  });
});

describe('compileLoggedModelSearch', () => {
  const base = { experimentIds: [1], filter: '', orderBy: [], maxResults: 10, offset: 0 };

  it('excludes deleted models and orders by creation_timestamp DESC, model_id ASC by default', () => {
    const { sql } = compileLoggedModelSearch(base);
    expect(sql).toContain("m.lifecycle_stage <> 'deleted'");
    expect(sql).toContain('ORDER BY m.creation_timestamp DESC, m.model_id ASC');
  });

  it('filters metrics with EXISTS scoped to the requested datasets', () => {
    const { sql, params } = compileLoggedModelSearch({
      ...base,
      filter: 'metrics.acc > 0.5',
      datasets: [{ dataset_name: 'eval', dataset_digest: 'd1' }, { dataset_name: 'train' }],
    });
    expect(count(sql, /EXISTS \(SELECT 1 FROM tracking\.logged_model_metrics/g)).toBe(1);
    expect(sql).toMatch(/\(\(lm\d+\.dataset_name = \$\d+::text AND lm\d+\.dataset_digest = \$\d+::text\) OR lm\d+\.dataset_name = \$\d+::text\)/);
    expect(params).toEqual(expect.arrayContaining(['acc', '0.5', 'eval', 'd1', 'train']));
  });

  it('orders by the latest metric value through a LATERAL join', () => {
    const { sql } = compileLoggedModelSearch({ ...base, orderBy: [{ field_name: 'metrics.acc', ascending: false, dataset_name: 'eval' }] });
    expect(sql).toContain('LEFT JOIN LATERAL (SELECT lm.value FROM tracking.logged_model_metrics lm WHERE lm.model_id = m.model_id');
    expect(sql).toContain('ORDER BY lm.timestamp DESC, lm.step DESC LIMIT 1) o1 ON TRUE');
    expect(sql).toContain('ORDER BY o1.value DESC NULLS LAST, m.creation_timestamp DESC, m.model_id ASC');
  });

  it('requires dataset_name in datasets', () => {
    expectInvalid(
      () => compileLoggedModelSearch({ ...base, datasets: [{ dataset_digest: 'x' } as unknown as { dataset_name: string }] }),
      '`dataset_name` in the `datasets` clause must be specified.',
    );
  });
});
