import { CairnError } from '@cairn/contracts';
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
 *  - The statement returns the page (limit = page size + 1, to tell whether
 *    there is a next page) as each row's stored element of MLflow's JSON
 *    response (the search-elements migration keeps them), read by primary key
 *    for the page's rows only: one round trip, nothing rendered per search.
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
  column: string;
  ascending: boolean;
}

/**
 * `SELECT e.element FROM (<page>) p CROSS JOIN LATERAL (<its stored element>) e
 * ORDER BY <same order>`: the page (`keys` and the order columns, LIMIT/OFFSET
 * inside) is cut first, then each of its rows' stored elements is read by
 * primary key (`element` reads it for the page row `p`).
 */
function finish(
  q: Sql,
  keys: readonly string[],
  from: string,
  order: readonly Ordered[],
  element: string,
  limit: number,
  offset: number,
): SearchQuery {
  const lines = [`SELECT ${[...keys, ...order.map((o, i) => `${o.column} AS o${i}`)].join(', ')}`, from, ...q.joins];
  if (q.where.length > 0) lines.push(`WHERE ${q.where.join('\n  AND ')}`);
  lines.push(`ORDER BY ${order.map((o) => `${o.column} ${direction(o.ascending)}`).join(', ')}`);
  lines.push(`LIMIT ${q.bind(limit, 'bigint')} OFFSET ${q.bind(offset, 'bigint')}`);
  const sql =
    `SELECT e.element\nFROM (\n${lines.join('\n')}\n) p\nCROSS JOIN LATERAL (${element}) e\n` +
    `ORDER BY ${order.map((o, i) => `p.o${i} ${direction(o.ascending)}`).join(', ')}`;
  return { sql, params: q.params };
}

export const MODEL_COLUMNS = 'm.model_key, m.name, m.description, m.user_id, m.creation_time, m.last_updated_time, m.last_version';

/** Registered models matching the conditions, one page of their elements (limit = page size + 1 to detect a next page). */
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
  const orderBy = order.map((t) => ({ column: `m.${columns[t.key]}`, ascending: t.ascending }));
  const element = 'SELECT x.element FROM registry.registered_model_elements x WHERE x.model_key = p.model_key';
  return finish(q, ['m.model_key'], 'FROM registry.registered_models m', orderBy, element, limit, offset);
}

export const VERSION_COLUMNS =
  'v.model_key, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, v.current_stage,' +
  ' v.source, v.storage_location, v.run_id, v.run_link, v.model_id, v.status, v.status_message, m.name';

/** Model versions matching the conditions, one page of their elements (limit = page size + 1). */
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
  const columns: Record<VersionOrderKey, string> = {
    name: 'm.name',
    version_number: 'v.version',
    creation_timestamp: 'v.creation_time',
    last_updated_timestamp: 'v.last_updated_time',
  };
  const orderBy = order.map((t) => ({ column: columns[t.key], ascending: t.ascending }));
  const element = 'SELECT x.element FROM registry.model_version_elements x WHERE x.model_key = p.model_key AND x.version = p.version';
  return finish(
    q,
    ['v.model_key', 'v.version'],
    'FROM registry.model_versions v\nJOIN registry.registered_models m ON m.model_key = v.model_key',
    orderBy,
    element,
    limit,
    offset,
  );
}
