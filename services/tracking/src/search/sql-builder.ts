import { CairnError } from '@cairn/contracts';
import { FilterComparison, FilterValue } from './filter-parser';
import { OrderKey } from './order-by';
import { FieldRef } from './token-cursor';

/**
 * The compiler core shared by the run, experiment and logged-model searches.
 * Every value travels as a `$n` parameter; the SQL text only ever contains
 * fixed table/column names, generated aliases and fixed keywords.
 */

export interface SearchQuery {
  sql: string;
  params: unknown[];
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** The searched table: `SELECT alias.idColumn FROM table alias`. */
export interface RootTable {
  table: string;
  alias: string;
  idColumn: string;
}

/** A (owner id, key, value) table such as tracking.params. */
export interface KeyValueTable {
  table: string;
  ownerColumn: string;
  /**
   * Set when the table is indexed on (key, left(value, n)): equality then
   * also compares the prefixes, so that index can drive the join.
   */
  indexedValuePrefix?: number;
}

type SqlCast = 'bigint' | 'numeric' | 'double precision' | 'text';

/**
 * One group of a split ordering: rows of the group are those of the query
 * plus `join`/`where`; `orderTerms` replace the split key's terms inside it.
 */
export interface OrderGroup {
  join?: string;
  where?: string;
  orderTerms: string[];
}

export class QueryBuilder {
  private readonly params: unknown[] = [];
  private readonly joins: string[] = [];
  private readonly conditions: string[] = [];
  private readonly orderTerms: string[] = [];
  private aliasCount = 0;
  private split?: { at: number; groups: OrderGroup[] };

  constructor(readonly root: RootTable) {}

  /** The root table's id column, qualified. */
  get rootId(): string {
    return this.column(this.root.idColumn);
  }

  column(name: string): string {
    return `${this.root.alias}.${name}`;
  }

  bind(value: unknown, cast?: SqlCast): string {
    this.params.push(value);
    return cast ? `$${this.params.length}::${cast}` : `$${this.params.length}`;
  }

  nextAlias(prefix: string): string {
    this.aliasCount += 1;
    return `${prefix}${this.aliasCount}`;
  }

  join(sql: string): void {
    this.joins.push(sql);
  }

  where(sql: string): void {
    this.conditions.push(sql);
  }

  orderBy(sql: string): void {
    this.orderTerms.push(sql);
  }

  /**
   * Orders by the groups first (in the given order), then by the order
   * terms added before/after this call, within each group. Each group is a
   * separately ordered and limited query, so that an index can drive it and
   * stop early; a group only runs when the previous ones did not fill the page.
   */
  splitOrder(groups: OrderGroup[]): void {
    if (this.split) throw CairnError.internal('Only one order key can split a search');
    this.split = { at: this.orderTerms.length, groups };
  }

  build(maxResults: number, offset: number): SearchQuery {
    if (this.split) return this.buildSplit(this.split, maxResults, offset);
    const lines = [`SELECT ${this.rootId}`, `FROM ${this.root.table} ${this.root.alias}`, ...this.joins];
    if (this.conditions.length > 0) lines.push(`WHERE ${this.conditions.join('\n  AND ')}`);
    if (this.orderTerms.length > 0) lines.push(`ORDER BY ${this.orderTerms.join(', ')}`);
    lines.push(`LIMIT ${this.bind(maxResults + 1, 'bigint')} OFFSET ${this.bind(offset, 'bigint')}`);
    return { sql: lines.join('\n'), params: this.params };
  }

  private buildSplit(split: { at: number; groups: OrderGroup[] }, maxResults: number, offset: number): SearchQuery {
    const id = this.root.idColumn;
    const needed = this.bind(offset + maxResults + 1, 'bigint');
    const ctes = split.groups.map((group, index) => {
      const terms = [...this.orderTerms.slice(0, split.at), ...group.orderTerms, ...this.orderTerms.slice(split.at)];
      const order = terms.join(', ');
      const conditions = [...this.conditions, ...(group.where ? [group.where] : [])];
      if (index > 0) {
        const before = split.groups.slice(0, index).map((_, i) => `(SELECT count(*) FROM g${i})`);
        conditions.push(`${before.join(' + ')} < ${needed}`);
      }
      const lines = [
        `g${index} AS MATERIALIZED (SELECT ${this.rootId}, row_number() OVER (ORDER BY ${order}) AS n`,
        `FROM ${this.root.table} ${this.root.alias}`,
        ...this.joins,
        ...(group.join ? [group.join] : []),
      ];
      if (conditions.length > 0) lines.push(`WHERE ${conditions.join('\n  AND ')}`);
      lines.push(`ORDER BY ${order}`, `LIMIT ${needed})`);
      return lines.join('\n');
    });
    const union = split.groups.map((_, i) => `SELECT ${id}, ${i} AS g, n FROM g${i}`).join('\nUNION ALL ');
    const sql = [
      `WITH ${ctes.join(',\n')}`,
      `SELECT s.${id} FROM (${union}) s`,
      `ORDER BY s.g, s.n`,
      `LIMIT ${this.bind(maxResults + 1, 'bigint')} OFFSET ${this.bind(offset, 'bigint')}`,
    ].join('\n');
    return { sql, params: this.params };
  }
}

/** Checks paging input; the query fetches maxResults + 1 rows to detect a next page. */
export function validatePaging(maxResults: number, offset: number, maxAllowed?: number): void {
  if (!Number.isSafeInteger(maxResults) || maxResults < 1) {
    throw CairnError.invalidParameter(
      `Invalid value for max_results. It must be a positive integer, but got ${maxResults}`,
    );
  }
  if (maxAllowed !== undefined && maxResults > maxAllowed) {
    throw CairnError.invalidParameter(
      `Invalid value for max_results. It must be at most ${maxAllowed}, but got ${maxResults}`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw CairnError.invalidParameter(`Invalid offset ${offset}: it must be a non-negative integer`);
  }
}

/** `column IN ($1::bigint, ...)`; an empty list matches nothing. */
export function idListCondition(q: QueryBuilder, column: string, ids: readonly number[]): string {
  for (const id of ids) {
    if (!Number.isSafeInteger(id)) throw CairnError.invalidParameter(`Invalid experiment id '${id}'`);
  }
  if (ids.length === 0) return 'FALSE';
  return `${column} IN (${ids.map((id) => q.bind(id, 'bigint')).join(', ')})`;
}

/** lifecycle_stage restriction for a view type (none for ALL). */
export function applyViewType(q: QueryBuilder, column: string, viewType: ViewType): void {
  if (viewType === 'ACTIVE_ONLY') q.where(`${column} = 'active'`);
  else if (viewType === 'DELETED_ONLY') q.where(`${column} = 'deleted'`);
  else if (viewType !== 'ALL') throw CairnError.invalidParameter(`Invalid view type '${String(viewType)}'`);
}

/** `column <op> value` for =, !=, LIKE (case-sensitive), ILIKE, IN, NOT IN. */
export function stringPredicate(q: QueryBuilder, column: string, cmp: FilterComparison): string {
  const { comparator, value } = cmp;
  if (value.kind === 'list') {
    const list = value.values.map((item) => q.bind(item, 'text')).join(', ');
    return `${column} ${comparator === 'NOT IN' ? 'NOT IN' : 'IN'} (${list})`;
  }
  const operator = comparator === '!=' ? '<>' : comparator;
  return `${column} ${operator} ${q.bind(stringOf(value), 'text')}`;
}

/** `column <op> value` for numeric comparators; the literal is bound as written. */
export function numericPredicate(
  q: QueryBuilder,
  column: string,
  cmp: FilterComparison,
  columnType: 'bigint' | 'double precision',
): string {
  const raw = numberOf(cmp.value);
  const cast = columnType === 'bigint' && !/^-?\d+$/.test(raw) ? 'numeric' : columnType;
  const operator = cmp.comparator === '!=' ? '<>' : cmp.comparator;
  return `${column} ${operator} ${q.bind(raw, cast)}`;
}

function stringOf(value: FilterValue): string {
  if (value.kind !== 'string') throw CairnError.internal('Expected a string filter value');
  return value.value;
}

function numberOf(value: FilterValue): string {
  if (value.kind !== 'number') throw CairnError.internal('Expected a numeric filter value');
  return value.raw;
}

/** Attribute condition on a root column. */
export function attributePredicate(q: QueryBuilder, column: string, cmp: FilterComparison): string {
  return cmp.field.numeric ? numericPredicate(q, column, cmp, 'bigint') : stringPredicate(q, column, cmp);
}

/**
 * Inner JOIN on a key/value table for one condition: only owners that HAVE
 * the key can match (MLflow's semantics, `!=` included). One row per owner
 * and key (primary key), so the join never duplicates rows, and an index on
 * (key, value) can drive it.
 */
export function joinKeyValueCondition(
  q: QueryBuilder,
  table: KeyValueTable,
  key: string,
  rowPredicate: (alias: string) => string,
): void {
  const alias = q.nextAlias('f');
  q.join(
    `JOIN ${table.table} ${alias} ON ${alias}.${table.ownerColumn} = ${q.rootId}` +
      ` AND ${alias}.key = ${q.bind(key, 'text')} AND ${rowPredicate(alias)}`,
  );
}

/** LEFT JOIN bringing one key's value for ordering; returns the join alias. */
export function joinKeyValueForOrder(q: QueryBuilder, table: KeyValueTable, key: string): string {
  const alias = q.nextAlias('o');
  q.join(
    `LEFT JOIN ${table.table} ${alias} ON ${alias}.${table.ownerColumn} = ${q.rootId}` +
      ` AND ${alias}.key = ${q.bind(key, 'text')}`,
  );
  return alias;
}

/**
 * Missing values sort last in both directions (MLflow). ASC already puts
 * NULLs last in PostgreSQL; NOT NULL columns keep a plain DESC so that
 * b-tree indexes declared `DESC` still match the ordering.
 */
export function orderTerm(expression: string, ascending: boolean, nullable = true): string {
  if (ascending) return `${expression} ASC`;
  return nullable ? `${expression} DESC NULLS LAST` : `${expression} DESC`;
}

/** How an entity maps attribute keys and key/value field types onto its tables. */
export interface EntityTables {
  attributeColumn(key: string): string;
  /** Attribute keys whose column may be NULL. */
  nullableAttributes: ReadonlySet<string>;
  params?: KeyValueTable;
  tags?: KeyValueTable;
}

/** Applies the attribute, param and tag conditions; returns the rest for the entity compiler. */
export function applyCommonConditions(
  q: QueryBuilder,
  tables: EntityTables,
  conditions: readonly FilterComparison[],
): FilterComparison[] {
  const remaining: FilterComparison[] = [];
  for (const cmp of conditions) {
    const table = keyValueTable(tables, cmp.field);
    if (cmp.field.type === 'attribute') q.where(attributePredicate(q, tables.attributeColumn(cmp.field.key), cmp));
    else if (table && (cmp.comparator === 'IS NULL' || cmp.comparator === 'IS NOT NULL')) {
      q.where(keyPresence(q, table, cmp.field.key, cmp.comparator === 'IS NOT NULL'));
    } else if (table) joinKeyValueCondition(q, table, cmp.field.key, (alias) => keyValuePredicate(q, table, alias, cmp));
    else remaining.push(cmp);
  }
  return remaining;
}

/** `IS NULL` / `IS NOT NULL` on a param or tag: the owner lacks / has the key. */
function keyPresence(q: QueryBuilder, table: KeyValueTable, key: string, present: boolean): string {
  const alias = q.nextAlias('k');
  const exists =
    `EXISTS (SELECT 1 FROM ${table.table} ${alias} WHERE ${alias}.${table.ownerColumn} = ${q.rootId}` +
    ` AND ${alias}.key = ${q.bind(key, 'text')})`;
  return present ? exists : `NOT ${exists}`;
}

function keyValuePredicate(q: QueryBuilder, table: KeyValueTable, alias: string, cmp: FilterComparison): string {
  const prefix = table.indexedValuePrefix;
  if (cmp.comparator !== '=' || prefix === undefined || cmp.value.kind !== 'string') {
    return stringPredicate(q, `${alias}.value`, cmp);
  }
  const value = q.bind(cmp.value.value, 'text');
  const prefixMatch = `left(${alias}.value, ${prefix}) = left(${value}, ${prefix})`;
  // A literal shorter than the prefix can only equal a value the prefix equals;
  // the redundant exact comparison would make PostgreSQL count the selectivity twice.
  if ([...cmp.value.value].length < prefix) return prefixMatch;
  return `${prefixMatch} AND ${alias}.value = ${value}`;
}

/** Applies attribute, param and tag order keys; returns false for keys the entity must handle. */
export function applyCommonOrderKey(q: QueryBuilder, tables: EntityTables, key: OrderKey): boolean {
  const table = keyValueTable(tables, key.field);
  if (key.field.type === 'attribute') {
    const nullable = tables.nullableAttributes.has(key.field.key);
    q.orderBy(orderTerm(tables.attributeColumn(key.field.key), key.ascending, nullable));
    return true;
  }
  if (!table) return false;
  q.orderBy(orderTerm(`${joinKeyValueForOrder(q, table, key.field.key)}.value`, key.ascending));
  return true;
}

function keyValueTable(tables: EntityTables, field: FieldRef): KeyValueTable | undefined {
  if (field.type === 'param') return tables.params;
  if (field.type === 'tag') return tables.tags;
  return undefined;
}

/** Fails loudly on a condition no table handles (a parser/spec mismatch). */
export function unsupportedField(field: FieldRef): CairnError {
  return CairnError.invalidParameter(`Invalid search expression type '${field.type}'`);
}
