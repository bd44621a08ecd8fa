import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlJson as js, sqlOptionalField as opt } from '@cairn/persistence';

/**
 * Search pages read stored JSON: every model version and registered model has
 * its element of MLflow's search response (`model_versions` /
 * `registered_models` arrays) as text in a side table, so a search is one
 * statement that selects the page's keys and reads one stored string per row,
 * instead of rendering each row with its tags, aliases and latest versions
 * (four index probes per model and an aggregate per child list) on every
 * search.
 *
 *  - `model_version_elements`: a version with its tags (by key) and the
 *    aliases pointing at it (by name); `registered_model_elements`: a model
 *    with its latest version per stage (their stored elements, in stage
 *    order), its tags and its aliases. Fields as messages.ts renders them
 *    through the gateway: absent optional values left out, an empty model
 *    description and status message left out, versions as strings.
 *  - Derived data, kept by statement-level triggers on every table the
 *    elements read (also for rows written by bulk SQL: one statement per
 *    trigger, not per row). Writes that change nothing rendered (such as
 *    the tag_index maintenance) change no element. Rows of the side tables go
 *    with their version or model (ON DELETE CASCADE).
 *  - Concurrency: an element depends on several rows, written by different
 *    transactions. Each refresh first locks the rows of the models concerned
 *    (FOR UPDATE, as every registry write does before it writes) and only
 *    then renders, in a later statement of the trigger function, which under
 *    READ COMMITTED sees everything committed before the lock was granted.
 *    The last refresh of a model therefore sees every change committed before
 *    it, and its own.
 *  - Frozen here: a later change of the JSON is a new migration that
 *    replaces the functions and re-renders.
 */
const STAGES = ['None', 'Staging', 'Production', 'Archived'];

function tagsJson(table: string, match: string): string {
  return `COALESCE((SELECT string_agg('{"key":' || ${js('t.key')} || ',"value":' || ${js('t.value')} || '}', ',' ORDER BY t.key)
      FROM registry.${table} t WHERE ${match}), '')`;
}

/** A version (row `v`, its model's name `name`) as its JSON element. */
function versionJson(v: string, name: string): string {
  return `'{"name":' || ${js(name)} || ',"version":"' || ${v}.version || '","creation_timestamp":' || ${v}.creation_time
    || ',"last_updated_timestamp":' || ${v}.last_updated_time || ${opt('user_id', `${v}.user_id`)}
    || ',"current_stage":' || ${js(`${v}.current_stage`)} || ${opt('description', `${v}.description`)}
    || ',"source":' || ${js(`${v}.source`)} || ${opt('run_id', `${v}.run_id`)}
    || ',"status":' || ${js(`${v}.status`)} || ${opt('status_message', `NULLIF(${v}.status_message, '')`)}
    || ',"tags":[' || ${tagsJson('model_version_tags', `t.model_key = ${v}.model_key AND t.version = ${v}.version`)}
    || ']' || ${opt('run_link', `${v}.run_link`)}
    || ',"aliases":[' || COALESCE((SELECT string_agg(${js('a.alias')}, ',' ORDER BY a.alias)
      FROM registry.registered_model_aliases a WHERE a.model_key = ${v}.model_key AND a.version = ${v}.version), '')
    || ']' || ${opt('model_id', `${v}.model_id`)} || '}'`;
}

/** A model (row `m`) as its JSON element; its latest versions from model_version_elements. */
function modelJson(m: string): string {
  return `'{"name":' || ${js(`${m}.name`)} || ',"creation_timestamp":' || ${m}.creation_time
    || ',"last_updated_timestamp":' || ${m}.last_updated_time || ${opt('user_id', `${m}.user_id`)}
    || ${opt('description', `NULLIF(${m}.description, '')`)}
    || ',"latest_versions":[' || COALESCE((SELECT string_agg(e.element, ',' ORDER BY s.n)
      FROM unnest(ARRAY[${STAGES.map((stage) => `'${stage}'`).join(', ')}]) WITH ORDINALITY AS s(stage, n)
      CROSS JOIN LATERAL (SELECT x.version FROM registry.model_versions x WHERE x.model_key = ${m}.model_key
                           AND x.current_stage = s.stage ORDER BY x.version DESC LIMIT 1) lv
      JOIN registry.model_version_elements e ON e.model_key = ${m}.model_key AND e.version = lv.version), '')
    || '],"tags":[' || ${tagsJson('registered_model_tags', `t.model_key = ${m}.model_key`)}
    || '],"aliases":[' || COALESCE((SELECT string_agg('{"alias":' || ${js('a.alias')} || ',"version":"' || a.version || '"}', ',' ORDER BY a.alias)
      FROM registry.registered_model_aliases a WHERE a.model_key = ${m}.model_key), '')
    || ']}'`;
}

/**
 * registry.refresh_elements(models, version_models, versions): locks the
 * models, then re-renders the versions (version_models[i], versions[i]) and
 * then the models (whose elements embed their latest versions'). Keys of rows
 * that no longer exist are skipped.
 */
const REFRESH_FUNCTION = `CREATE FUNCTION registry.refresh_elements(models bigint[], version_models bigint[], versions integer[])
  RETURNS void LANGUAGE plpgsql AS $fn$
  BEGIN
    PERFORM 1 FROM registry.registered_models
      WHERE model_key IN (SELECT unnest(models) UNION SELECT unnest(version_models)) ORDER BY model_key FOR UPDATE;
    INSERT INTO registry.model_version_elements AS old (model_key, version, element)
      SELECT v.model_key, v.version, ${versionJson('v', 'm.name')}
        FROM (SELECT DISTINCT k.model_key, k.version FROM unnest(version_models, versions) AS k(model_key, version)) k
        JOIN registry.model_versions v ON v.model_key = k.model_key AND v.version = k.version
        JOIN registry.registered_models m ON m.model_key = v.model_key
      ON CONFLICT (model_key, version) DO UPDATE SET element = EXCLUDED.element WHERE old.element <> EXCLUDED.element;
    INSERT INTO registry.registered_model_elements AS old (model_key, element)
      SELECT m.model_key, ${modelJson('m')}
        FROM registry.registered_models m
       WHERE m.model_key IN (SELECT unnest(models) UNION SELECT unnest(version_models))
      ON CONFLICT (model_key) DO UPDATE SET element = EXCLUDED.element WHERE old.element <> EXCLUDED.element;
  END
$fn$`;

/** Columns of a version its element shows. */
const VERSION_RENDERED = [
  'creation_time',
  'last_updated_time',
  'description',
  'user_id',
  'current_stage',
  'source',
  'run_id',
  'run_link',
  'model_id',
  'status',
  'status_message',
];
/** Columns of a model its element shows. */
const MODEL_RENDERED = ['name', 'description', 'user_id', 'creation_time', 'last_updated_time'];

const differs = (columns: readonly string[]): string =>
  `(${columns.map((c) => `n.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `o.${c}`).join(', ')})`;

/** For each table the elements read: the trigger function's refresh per operation. */
interface Source {
  table: string;
  insert: string;
  update: string;
  delete: string;
}

const EMPTY_VERSIONS = `'{}'::bigint[], '{}'::integer[]`;
/** The (model_key, version) pairs of `rows` as two arrays, both in the same order (so the pairs stay pairs). */
const versionsOf = (rows: string): string =>
  `ARRAY(SELECT model_key FROM ${rows} ORDER BY model_key, version), ARRAY(SELECT version FROM ${rows} ORDER BY model_key, version)`;
const modelsOf = (rows: string): string => `ARRAY(SELECT model_key FROM ${rows})`;

const SOURCES: Source[] = [
  {
    table: 'registered_models',
    insert: `registry.refresh_elements(${modelsOf('new_rows')}, ${EMPTY_VERSIONS})`,
    // A rename re-renders the model's versions (their elements carry its name).
    update: `registry.refresh_elements(
        ARRAY(SELECT n.model_key FROM new_rows n JOIN old_rows o USING (model_key) WHERE ${differs(MODEL_RENDERED)}),
        ${versionsOf(`(SELECT v.model_key, v.version FROM new_rows n JOIN old_rows o USING (model_key)
                JOIN registry.model_versions v ON v.model_key = n.model_key WHERE n.name <> o.name) r`)})`,
    delete: '', // its elements go with it (ON DELETE CASCADE)
  },
  {
    table: 'registered_model_tags',
    insert: `registry.refresh_elements(${modelsOf('new_rows')}, ${EMPTY_VERSIONS})`,
    update: `registry.refresh_elements(${modelsOf('(SELECT model_key FROM old_rows UNION SELECT model_key FROM new_rows) r')}, ${EMPTY_VERSIONS})`,
    delete: `registry.refresh_elements(${modelsOf('old_rows')}, ${EMPTY_VERSIONS})`,
  },
  {
    table: 'registered_model_aliases',
    insert: `registry.refresh_elements('{}', ${versionsOf('new_rows')})`,
    update: `registry.refresh_elements('{}', ${versionsOf('(SELECT model_key, version FROM old_rows UNION SELECT model_key, version FROM new_rows) r')})`,
    delete: `registry.refresh_elements('{}', ${versionsOf('old_rows')})`,
  },
  {
    table: 'model_versions',
    insert: `registry.refresh_elements('{}', ${versionsOf('new_rows')})`,
    update: `registry.refresh_elements('{}', ${versionsOf(
      `(SELECT n.model_key, n.version FROM new_rows n JOIN old_rows o USING (model_key, version) WHERE ${differs(VERSION_RENDERED)}) r`,
    )})`,
    // The model's latest versions may have changed (its other elements go with their rows).
    delete: `registry.refresh_elements(${modelsOf('old_rows')}, ${EMPTY_VERSIONS})`,
  },
  {
    table: 'model_version_tags',
    insert: `registry.refresh_elements('{}', ${versionsOf('new_rows')})`,
    update: `registry.refresh_elements('{}', ${versionsOf('(SELECT model_key, version FROM old_rows UNION SELECT model_key, version FROM new_rows) r')})`,
    delete: `registry.refresh_elements('{}', ${versionsOf('old_rows')})`,
  },
];

function triggerFunctionSql(s: Source): string {
  const branch = (op: string, call: string): string => (call ? `IF TG_OP = '${op}' THEN PERFORM ${call}; END IF;` : '');
  return `CREATE FUNCTION registry.${s.table}_to_elements() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      ${branch('INSERT', s.insert)}
      ${branch('UPDATE', s.update)}
      ${branch('DELETE', s.delete)}
      RETURN NULL;
    END
  $fn$`;
}

/** The triggers of a source table: one per operation that refreshes something (a transition table each). */
function triggers(s: Source): { name: string; sql: string }[] {
  const all = [
    { op: s.insert, name: `${s.table}_insert_to_elements`, sql: `AFTER INSERT ON registry.${s.table} REFERENCING NEW TABLE AS new_rows` },
    {
      op: s.update,
      name: `${s.table}_update_to_elements`,
      sql: `AFTER UPDATE ON registry.${s.table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows`,
    },
    { op: s.delete, name: `${s.table}_delete_to_elements`, sql: `AFTER DELETE ON registry.${s.table} REFERENCING OLD TABLE AS old_rows` },
  ];
  return all.filter((t) => t.op !== '');
}

export class RegistrySearchElements1765500000000 implements MigrationInterface {
  name = 'RegistrySearchElements1765500000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE registry.model_version_elements (
         model_key bigint NOT NULL,
         version integer NOT NULL,
         element text NOT NULL,
         PRIMARY KEY (model_key, version),
         FOREIGN KEY (model_key, version) REFERENCES registry.model_versions (model_key, version) ON DELETE CASCADE
       )`,
      `CREATE TABLE registry.registered_model_elements (
         model_key bigint PRIMARY KEY REFERENCES registry.registered_models (model_key) ON DELETE CASCADE,
         element text NOT NULL
       )`,
      REFRESH_FUNCTION,
      // What is there already: every version, then every model.
      `SELECT registry.refresh_elements(ARRAY(SELECT model_key FROM registry.registered_models),
         ARRAY(SELECT model_key FROM registry.model_versions ORDER BY model_key, version),
         ARRAY(SELECT version FROM registry.model_versions ORDER BY model_key, version))`,
    ];
    for (const source of SOURCES) {
      statements.push(triggerFunctionSql(source));
      for (const t of triggers(source)) {
        statements.push(`CREATE TRIGGER ${t.name} ${t.sql} FOR EACH STATEMENT EXECUTE FUNCTION registry.${source.table}_to_elements()`);
      }
    }
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const statements: string[] = [];
    for (const source of SOURCES) {
      for (const t of triggers(source)) statements.push(`DROP TRIGGER ${t.name} ON registry.${source.table}`);
      statements.push(`DROP FUNCTION registry.${source.table}_to_elements()`);
    }
    statements.push(
      'DROP FUNCTION registry.refresh_elements(bigint[], bigint[], integer[])',
      'DROP TABLE registry.registered_model_elements',
      'DROP TABLE registry.model_version_elements',
    );
    for (const sql of statements) await q.query(sql);
  }
}
