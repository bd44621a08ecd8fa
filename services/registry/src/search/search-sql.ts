import { CairnError } from '@cairn/contracts';
import { Condition, FilterValue } from './filter';
import { ModelOrderKey, OrderTerm, VersionOrderKey } from './order-by';

/**
 * Compiles registry searches to parameterised PostgreSQL. Values only ever
 * travel as `$n` parameters. Each tag condition is an inner join on the tag
 * table's primary key (one row per owner and key: no duplicates); tag
 * equality compares the generated `value_prefix` (left(value, 200)) so the
 * (key, value_prefix, owner) index drives the join and the primary key
 * (which INCLUDEs value_prefix) checks the other tags, index-only.
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
    const raw = stringValue(cond.value);
    // Shorter than the prefix: the prefix equals the value exactly, so the indexes alone
    // decide (index-only scans on (key, value_prefix, ...) and the primary key's INCLUDE).
    if (raw.length < INDEXED_PREFIX) return `${alias}.value_prefix = ${q.bind(raw, 'text')}`;
    const value = q.bind(raw, 'text');
    return `${alias}.value_prefix = left(${value}, ${INDEXED_PREFIX}) AND ${alias}.value = ${value}`;
  }
  return stringPredicate(q, `${alias}.value`, cond);
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

function excludePromptsSql(q: Sql, modelKeyColumn: string): string {
  // NOT IN (uncorrelated, hashed once) rather than NOT EXISTS: one relation fewer for the planner.
  return (
    `${modelKeyColumn} NOT IN (SELECT p.model_key FROM registry.registered_model_tags p` +
    ` WHERE p.key = ${q.bind(PROMPT_TAG, 'text')} AND p.value_prefix = ${q.bind('true', 'text')})`
  );
}

function direction(ascending: boolean): string {
  return ascending ? 'ASC' : 'DESC';
}

function finish(q: Sql, select: string, from: string, order: string[], limit: number, offset: number): SearchQuery {
  const lines = [select, from, ...q.joins];
  if (q.where.length > 0) lines.push(`WHERE ${q.where.join('\n  AND ')}`);
  lines.push(`ORDER BY ${order.join(', ')}`);
  lines.push(`LIMIT ${q.bind(limit, 'bigint')} OFFSET ${q.bind(offset, 'bigint')}`);
  return { sql: lines.join('\n'), params: q.params };
}

export const MODEL_COLUMNS = 'm.model_key, m.name, m.description, m.user_id, m.creation_time, m.last_updated_time, m.last_version';

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
    if (cond.type === 'attribute') {
      q.where.push(stringPredicate(q, 'm.name', cond));
      continue;
    }
    const alias = q.alias();
    q.joins.push(
      `JOIN registry.registered_model_tags ${alias} ON ${alias}.model_key = m.model_key` +
        ` AND ${alias}.key = ${q.bind(cond.key, 'text')} AND ${tagPredicate(q, alias, cond)}`,
    );
  }
  if (split.excludePrompts) q.where.push(excludePromptsSql(q, 'm.model_key'));
  const columns: Record<ModelOrderKey, string> = {
    name: 'm.name',
    last_updated_timestamp: 'm.last_updated_time',
    creation_timestamp: 'm.creation_time',
  };
  const orderSql = order.map((t) => `${columns[t.key]} ${direction(t.ascending)}`);
  return finish(q, `SELECT ${MODEL_COLUMNS}`, 'FROM registry.registered_models m', orderSql, limit, offset);
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
    if (cond.type === 'attribute') {
      const column = attributeColumns[cond.key];
      if (!column) throw CairnError.invalidParameter(`Invalid attribute name: ${cond.key}`);
      q.where.push(cond.key === 'version_number' ? numericPredicate(q, column, cond) : stringPredicate(q, column, cond));
      continue;
    }
    const alias = q.alias();
    q.joins.push(
      `JOIN registry.model_version_tags ${alias} ON ${alias}.model_key = v.model_key AND ${alias}.version = v.version` +
        ` AND ${alias}.key = ${q.bind(cond.key, 'text')} AND ${tagPredicate(q, alias, cond)}`,
    );
  }
  if (split.excludePrompts) q.where.push(excludePromptsSql(q, 'v.model_key'));
  const columns: Record<VersionOrderKey, string> = {
    name: 'm.name',
    version_number: 'v.version',
    creation_timestamp: 'v.creation_time',
    last_updated_timestamp: 'v.last_updated_time',
  };
  const orderSql = order.map((t) => `${columns[t.key]} ${direction(t.ascending)}`);
  return finish(
    q,
    `SELECT ${VERSION_COLUMNS}`,
    'FROM registry.model_versions v\nJOIN registry.registered_models m ON m.model_key = v.model_key',
    orderSql,
    limit,
    offset,
  );
}
