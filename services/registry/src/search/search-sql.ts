import { CairnError } from '@cairn/contracts';
import { ModelVersionEntity, STAGES } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { Condition, FilterValue } from './filter';
import { ModelOrderKey, OrderTerm, VersionOrderKey } from './order-by';

/**
 * Compiles registry searches to parameterised PostgreSQL. Values only ever
 * travel as `$n` parameters.
 *  - Tag equalities become one containment test on the owner's GIN-indexed
 *    `tag_index` (entries `registry.tag_entry(key, value)`, see the tag-index
 *    migration): the index intersects the conditions. A value of 200
 *    characters or more is also compared in full through a join.
 *  - Other tag conditions (!=, LIKE, ILIKE) are inner joins on the tag table's
 *    primary key (one row per owner and key: no duplicates), the
 *    (key, value_prefix, owner) index driving.
 *  - The statement returns the page (limit = page size + 1) together with
 *    what its messages need, aggregated as JSON per row (tags, aliases and,
 *    for models, the latest version per stage with its tags): one round trip,
 *    the children read by primary-key probes for the page's rows only.
 */
export interface SearchQuery {
  sql: string;
  params: unknown[];
}

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
const INDEXED_PREFIX = 200;

class Sql {
  readonly params: unknown[] = [];
  readonly joins: string[] = [];
  readonly where: string[] = [];
  private aliases = 0;

  bind(value: unknown, cast: 'text' | 'integer' | 'bigint'): string {
    this.params.push(value);
    return `$${this.params.length}::${cast}`;
  }

  alias(): string {
    this.aliases += 1;
    return `f${this.aliases}`;
  }
}

function stringValue(value: FilterValue): string {
  if (value.kind !== 'string') throw CairnError.internal('expected a string filter value');
  return value.value;
}

function stringPredicate(q: Sql, column: string, cond: Condition): string {
  const { comparator, value } = cond;
  if (comparator === 'IN' || comparator === 'NOT IN') {
    if (value.kind !== 'list') throw CairnError.internal('expected a list filter value');
    return `${column} ${comparator} (${value.values.map((v) => q.bind(v, 'text')).join(', ')})`;
  }
  const operator = comparator === '!=' ? '<>' : comparator;
  if (!['=', '<>', 'LIKE', 'ILIKE'].includes(operator)) throw CairnError.internal(`unexpected comparator ${comparator}`);
  return `${column} ${operator} ${q.bind(stringValue(value), 'text')}`;
}

function numericPredicate(q: Sql, column: string, cond: Condition): string {
  if (cond.value.kind !== 'number') throw CairnError.internal('expected a numeric filter value');
  const n = Number(cond.value.raw);
  const operator = cond.comparator === '!=' ? '<>' : cond.comparator;
  if (!['=', '<>', '>', '>=', '<', '<='].includes(operator)) throw CairnError.internal(`unexpected comparator ${cond.comparator}`);
  // Out of integer range: compare as bigint so the query stays valid.
  return `${column} ${operator} ${q.bind(n, Number.isSafeInteger(n) && Math.abs(n) < 2 ** 31 ? 'integer' : 'bigint')}`;
}

function tagPredicate(q: Sql, alias: string, cond: Condition): string {
  if (cond.comparator === '=') {
    // Only for values of 200 characters or more (shorter ones are decided by tag_index alone).
    const value = q.bind(stringValue(cond.value), 'text');
    return `${alias}.value_prefix = left(${value}, ${INDEXED_PREFIX}) AND ${alias}.value = ${value}`;
  }
  return stringPredicate(q, `${alias}.value`, cond);
}

/** The tag_index entry of a tag (SQL). */
function tagEntry(q: Sql, key: string, value: string): string {
  return `registry.tag_entry(${q.bind(key, 'text')}, ${q.bind(value, 'text')})`;
}

/**
 * Tag conditions on an owner (`m` or `v`): every equality goes into one
 * `tag_index @> ARRAY[...]` test; the other conditions, and equalities whose
 * value may exceed the indexed prefix, join the tag table (`match(alias)` is
 * the ON clause on the owner's key).
 */
function tagConditions(q: Sql, owner: string, tags: string, conditions: readonly Condition[], match: (alias: string) => string): void {
  const entries: string[] = [];
  for (const cond of conditions) {
    if (cond.comparator === '=') {
      const value = stringValue(cond.value);
      entries.push(tagEntry(q, cond.key, value));
      // JavaScript counts UTF-16 units: at least PostgreSQL's character count.
      if (value.length < INDEXED_PREFIX) continue;
    }
    const alias = q.alias();
    q.joins.push(`JOIN registry.${tags} ${alias} ON ${match(alias)} AND ${alias}.key = ${q.bind(cond.key, 'text')} AND ${tagPredicate(q, alias, cond)}`);
  }
  if (entries.length > 0) q.where.unshift(`${owner}.tag_index @> ARRAY[${entries.join(', ')}]`);
}

/**
 * Prompts (registered models tagged mlflow.prompt.is_prompt = 'true') are left
 * out unless the filter asks for them, as MLflow does; a filter on that tag
 * which does not ask for prompts is dropped (models do not carry the tag).
 */
export function splitPromptFilter(conditions: readonly Condition[]): { conditions: Condition[]; excludePrompts: boolean } {
  const promptCondition = conditions.find((c) => c.type === 'tag' && c.key === PROMPT_TAG);
  const value = promptCondition?.value.kind === 'string' ? promptCondition.value.value.toLowerCase() : undefined;
  const queryingPrompts =
    promptCondition !== undefined &&
    ((promptCondition.comparator === '=' && value === 'true') || (promptCondition.comparator === '!=' && value === 'false'));
  if (queryingPrompts) return { conditions: [...conditions], excludePrompts: false };
  return { conditions: conditions.filter((c) => !(c.type === 'tag' && c.key === PROMPT_TAG)), excludePrompts: true };
}

/**
 * A row filter on the model's tag set: no subquery or extra relation, and
 * estimated from the set's element statistics (a NOT IN subquery is guessed
 * to keep half the rows, which made the planner hash every model).
 */
function excludePromptsSql(q: Sql): string {
  return `NOT m.tag_index @> ARRAY[${tagEntry(q, PROMPT_TAG, 'true')}]`;
}

function direction(ascending: boolean): string {
  return ascending ? 'ASC' : 'DESC';
}

interface Ordered {
  /** Column of the inner (page) query. */
  inner: string;
  /** The same column in the page's output (`p.<name>`). */
  outer: string;
  ascending: boolean;
}

/**
 * `SELECT p.*, <children> FROM (<page>) p ORDER BY <same order>`: the page is
 * cut first (LIMIT/OFFSET inside), so the children are read for its rows only.
 */
function finish(q: Sql, select: string, from: string, order: readonly Ordered[], children: string, limit: number, offset: number): SearchQuery {
  const lines = [select, from, ...q.joins];
  if (q.where.length > 0) lines.push(`WHERE ${q.where.join('\n  AND ')}`);
  lines.push(`ORDER BY ${order.map((o) => `${o.inner} ${direction(o.ascending)}`).join(', ')}`);
  lines.push(`LIMIT ${q.bind(limit, 'bigint')} OFFSET ${q.bind(offset, 'bigint')}`);
  const sql =
    `SELECT p.*,\n${children}\nFROM (\n${lines.join('\n')}\n) p\n` +
    `ORDER BY ${order.map((o) => `${o.outer} ${direction(o.ascending)}`).join(', ')}`;
  return { sql, params: q.params };
}

/** JSON [[key, value], ...] of an owner's tags, by key. */
function tagsJson(table: string, match: string): string {
  return `(SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.key) FROM registry.${table} t WHERE ${match})`;
}

const VERSION_FIELDS = [
  'model_key',
  'version',
  'creation_time',
  'last_updated_time',
  'description',
  'user_id',
  'current_stage',
  'source',
  'storage_location',
  'run_id',
  'run_link',
  'model_id',
  'status',
  'status_message',
] as const;

/** Children of a registered model: its tags, aliases, and latest version per stage (with their tags). */
const MODEL_CHILDREN = [
  `  ${tagsJson('registered_model_tags', 't.model_key = p.model_key')} AS tags_json`,
  `  (SELECT json_agg(json_build_array(a.alias, a.version) ORDER BY a.alias) FROM registry.registered_model_aliases a` +
    ` WHERE a.model_key = p.model_key) AS aliases_json`,
  // One probe of (model_key, current_stage, version DESC) per stage, in MLflow's stage order (all four: the CHECK constraint).
  `  (SELECT json_agg(json_build_object('name', p.name, ${VERSION_FIELDS.map((f) => `'${f}', lv.${f}`).join(', ')},` +
    ` 'tags_json', ${tagsJson('model_version_tags', 't.model_key = lv.model_key AND t.version = lv.version')}) ORDER BY s.n)` +
    `\n     FROM unnest(ARRAY[${STAGES.map((stage) => `'${stage}'`).join(', ')}]) WITH ORDINALITY AS s(stage, n)` +
    `\n     CROSS JOIN LATERAL (SELECT * FROM registry.model_versions x WHERE x.model_key = p.model_key` +
    ` AND x.current_stage = s.stage ORDER BY x.version DESC LIMIT 1) lv) AS latest_json`,
].join(',\n');

/** Children of a model version: its tags and the aliases pointing at it. */
const VERSION_CHILDREN = [
  `  ${tagsJson('model_version_tags', 't.model_key = p.model_key AND t.version = p.version')} AS tags_json`,
  `  (SELECT json_agg(a.alias ORDER BY a.alias) FROM registry.registered_model_aliases a` +
    ` WHERE a.model_key = p.model_key AND a.version = p.version) AS aliases_json`,
].join(',\n');

export const MODEL_COLUMNS = 'm.model_key, m.name, m.description, m.user_id, m.creation_time, m.last_updated_time, m.last_version';

/** JSON of a tag: [key, value]. */
export type TagJson = [string, string];

/** A latest version as the model search returns it (numbers arrive as JSON numbers). */
export type LatestVersionJson = ModelVersionEntity & { tags_json: TagJson[] | null };

/** A registered model of a search page with its children (JSON, null when there are none). */
export interface ModelSearchRow extends RegisteredModelEntity {
  tags_json: TagJson[] | null;
  aliases_json: [string, number][] | null;
  latest_json: LatestVersionJson[] | null;
}

/** A model version of a search page with its children (JSON, null when there are none). */
export interface VersionSearchRow extends ModelVersionEntity {
  tags_json: TagJson[] | null;
  aliases_json: string[] | null;
}

/** Registered models matching the conditions, one page (limit = page size + 1 to detect a next page). */
export function compileModelSearch(
  conditions: readonly Condition[],
  order: readonly OrderTerm<ModelOrderKey>[],
  limit: number,
  offset: number,
): SearchQuery {
  const q = new Sql();
  const split = splitPromptFilter(conditions);
  for (const cond of split.conditions) {
    if (cond.type === 'attribute') q.where.push(stringPredicate(q, 'm.name', cond));
  }
  const tags = split.conditions.filter((c) => c.type === 'tag');
  tagConditions(q, 'm', 'registered_model_tags', tags, (a) => `${a}.model_key = m.model_key`);
  if (split.excludePrompts) q.where.push(excludePromptsSql(q));
  const columns: Record<ModelOrderKey, string> = {
    name: 'name',
    last_updated_timestamp: 'last_updated_time',
    creation_timestamp: 'creation_time',
  };
  const orderBy = order.map((t) => ({ inner: `m.${columns[t.key]}`, outer: `p.${columns[t.key]}`, ascending: t.ascending }));
  return finish(q, `SELECT ${MODEL_COLUMNS}`, 'FROM registry.registered_models m', orderBy, MODEL_CHILDREN, limit, offset);
}

export const VERSION_COLUMNS =
  'v.model_key, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.current_stage,' +
  ' v.source, v.storage_location, v.run_id, v.run_link, v.model_id, v.status, v.status_message, m.name';

/** Model versions matching the conditions, one page (limit = page size + 1). */
export function compileVersionSearch(
  conditions: readonly Condition[],
  order: readonly OrderTerm<VersionOrderKey>[],
  limit: number,
  offset: number,
): SearchQuery {
  const q = new Sql();
  const split = splitPromptFilter(conditions);
  const attributeColumns: Record<string, string> = {
    name: 'm.name',
    run_id: 'v.run_id',
    source_path: 'v.source',
    version_number: 'v.version',
  };
  for (const cond of split.conditions) {
    if (cond.type !== 'attribute') continue;
    const column = attributeColumns[cond.key];
    if (!column) throw CairnError.invalidParameter(`Invalid attribute name: ${cond.key}`);
    q.where.push(cond.key === 'version_number' ? numericPredicate(q, column, cond) : stringPredicate(q, column, cond));
  }
  const tags = split.conditions.filter((c) => c.type === 'tag');
  tagConditions(q, 'v', 'model_version_tags', tags, (a) => `${a}.model_key = v.model_key AND ${a}.version = v.version`);
  if (split.excludePrompts) q.where.push(excludePromptsSql(q));
  const columns: Record<VersionOrderKey, [string, string]> = {
    name: ['m.name', 'p.name'],
    version_number: ['v.version', 'p.version'],
    creation_timestamp: ['v.creation_time', 'p.creation_time'],
    last_updated_timestamp: ['v.last_updated_time', 'p.last_updated_time'],
  };
  const orderBy = order.map((t) => ({ inner: columns[t.key][0], outer: columns[t.key][1], ascending: t.ascending }));
  return finish(
    q,
    `SELECT ${VERSION_COLUMNS}`,
    'FROM registry.model_versions v\nJOIN registry.registered_models m ON m.model_key = v.model_key',
    orderBy,
    VERSION_CHILDREN,
    limit,
    offset,
  );
}
