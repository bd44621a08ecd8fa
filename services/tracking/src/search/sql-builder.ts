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
  /**
   * A split search whose first order group can be walked (see
   * QueryBuilder.walkedGroup): the walk alone, to run first. It settles most
   * pages (its rows are the page when there are `rows` of them), and `sql`
   * then never runs: the joined statement of every group, which plans in
   * several times the walk's time, for the pages the walk cannot prove.
   */
  firstGroup?: FirstGroup;
}

/**
 * The walk of a split search (QueryBuilder.walkedGroup). Its statement takes
 * the match counts of its indexed conditions as parameters (MatchCountSlot
 * in `params`, filled by firstGroupParams): `counts` is the statement that
 * counts them (one row, columns k0..k{n-1}). The counts only choose how the
 * walk runs (whether it is tried, whether a condition is hashed or probed);
 * the walk returns the page or nothing whatever they are, so a caller may
 * reuse counts it got a little earlier (RunsRepository: MatchCounts).
 */
export interface FirstGroup {
  sql: string;
  params: unknown[];
  rows: number;
  counts: { sql: string; params: unknown[]; n: number };
}

/** Where a first group's statement takes match count `index` of its `counts` statement. */
export class MatchCountSlot {
  constructor(readonly index: number) {}
}

/** The first group's parameters with its match counts in their slots. */
export function firstGroupParams(first: FirstGroup, counts: readonly number[]): unknown[] {
  return first.params.map((p) => (p instanceof MatchCountSlot ? counts[p.index] : p));
}

/**
 * The statement with only the parameters it references, renumbered in their
 * order (the SQL text never holds a `$` other than parameter references).
 */
function withOwnParams(sql: string, params: readonly unknown[]): { sql: string; params: unknown[] } {
  const used = [...new Set(Array.from(sql.matchAll(/\$(\d+)/g), (m) => Number(m[1])))].sort((a, b) => a - b);
  const renumbered = new Map(used.map((n, i) => [n, i + 1]));
  return { sql: sql.replace(/\$(\d+)/g, (_, n: string) => `$${renumbered.get(Number(n))}`), params: used.map((n) => params[n - 1]) };
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
   * Set when the table is indexed on (key, value) INCLUDE (owner) for values
   * of at most this many bytes, and on (key, left(value, 200)) for longer
   * ones (both partial): `=` and `IN` then name the matching length range,
   * so that one of those indexes can drive the join (index-only for short values).
   */
  valueIndex?: { shortBytes: number; longPrefix: number };
}

type SqlCast = 'bigint' | 'numeric' | 'double precision' | 'text';

/**
 * One group of a split ordering: rows of the group are those of the query
 * plus `join`/`where`; `orderTerms` replace the split key's terms inside it.
 * With `walk` (the first group only), the group is first tried by walking that index, as a
 * statement of its own (see buildSplit).
 */
export interface OrderGroup {
  join?: string;
  where?: string;
  orderTerms: string[];
  walk?: IndexWalk;
}

/**
 * The rows of a group's leading order key, read from an index in order:
 * `table` rows satisfying `where(alias)`, by `valueColumn`. `alias` is the
 * name the group's order terms use for them; they carry `ownerColumn`
 * (the root id) and `valueColumn`.
 */
export interface IndexWalk {
  table: string;
  alias: string;
  ownerColumn: string;
  valueColumn: string;
  ascending: boolean;
  where: (alias: string) => string;
}

/**
 * How an index serves a key/value condition (see QueryBuilder.semiJoin):
 * `count`: an index on (key, value) finds the matching rows, so counting a
 * few of them is cheap; `hash`: it also holds the owner (index-only), so the
 * matching owners can be hashed.
 */
export type ConditionIndex = 'count' | 'hash';

/**
 * An inner join on a key/value table that only filters (one row per owner
 * and key): `JOIN table alias ON alias.owner = root AND predicate`.
 */
interface Join {
  sql: string;
  semi?: { table: KeyValueTable; alias: string; predicate: string; index?: ConditionIndex };
}

/** A walk reads at most this many index entries per row it must return before giving up. */
const WALK_ENTRIES_PER_ROW = 100;
/** A condition with fewer matches than this per needed row is left to drive the joined query. */
const SELECTIVE_MATCHES_PER_ROW = 10;
/** A condition with more matches than this is probed per walked row instead of hashed. */
const MAX_HASHED_OWNERS = 50_000;

/** `JOIN table alias ON alias.owner = owner AND predicate` (see Join). */
function semiJoinSql({ table, alias, predicate }: NonNullable<Join['semi']>, owner: string): string {
  return `JOIN ${table.table} ${alias} ON ${alias}.${table.ownerColumn} = ${owner} AND ${predicate}`;
}

export class QueryBuilder {
  private readonly params: unknown[] = [];
  private readonly joins: Join[] = [];
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
    this.joins.push({ sql });
  }

  /** An inner join that only filters on an owner's row in `table` (see Join). */
  semiJoin(table: KeyValueTable, alias: string, predicate: string, index?: ConditionIndex): void {
    const semi = { table, alias, predicate, index };
    this.joins.push({ sql: semiJoinSql(semi, this.rootId), semi });
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
    const lines = [`SELECT ${this.rootId}`, `FROM ${this.root.table} ${this.root.alias}`, ...this.joins.map((j) => j.sql)];
    if (this.conditions.length > 0) lines.push(`WHERE ${this.conditions.join('\n  AND ')}`);
    if (this.orderTerms.length > 0) lines.push(`ORDER BY ${this.orderTerms.join(', ')}`);
    lines.push(`LIMIT ${this.bind(maxResults + 1, 'bigint')} OFFSET ${this.bind(offset, 'bigint')}`);
    return { sql: lines.join('\n'), params: this.params };
  }

  private buildSplit(split: { at: number; groups: OrderGroup[] }, maxResults: number, offset: number): SearchQuery {
    const id = this.root.idColumn;
    const neededCount = offset + maxResults + 1;
    const needed = this.bind(neededCount, 'bigint');
    const page = `LIMIT ${this.bind(maxResults + 1, 'bigint')} OFFSET ${this.bind(offset, 'bigint')}`;
    const groups = split.groups.map((group, index) => {
      const terms = [...this.orderTerms.slice(0, split.at), ...group.orderTerms, ...this.orderTerms.slice(split.at)];
      const order = terms.join(', ');
      const conditions = [...this.conditions, ...(group.where ? [group.where] : [])];
      const lines = [
        `SELECT ${this.rootId}, row_number() OVER (ORDER BY ${order}) AS n`,
        `FROM ${this.root.table} ${this.root.alias}`,
        ...this.joins.map((j) => j.sql),
        ...(group.join ? [group.join] : []),
      ];
      if (conditions.length > 0) lines.push(`WHERE ${conditions.join('\n  AND ')}`);
      lines.push(`ORDER BY ${order}`, `LIMIT ${needed}`);
      // A later group only runs when the previous ones did not fill the page. The condition
      // sits above the group's query, so that an unneeded group is never computed: inside
      // it, it could land below a Gather, which would start its parallel workers anyway.
      if (index === 0) return { group, order, conditions, ctes: [`g0 AS MATERIALIZED (${lines.join('\n')})`] };
      const before = split.groups.slice(0, index).map((_, i) => `(SELECT count(*) FROM g${i})`);
      const ctes = [
        `g${index}q AS MATERIALIZED (${lines.join('\n')})`,
        `g${index} AS MATERIALIZED (SELECT ${id}, n FROM g${index}q WHERE ${before.join(' + ')} < ${needed})`,
      ];
      return { group, order, conditions, ctes };
    });
    const union = split.groups.map((_, i) => `SELECT ${id}, ${i} AS g, n FROM g${i}`).join('\nUNION ALL ');
    const sql = [`WITH ${groups.flatMap((g) => g.ctes).join(',\n')}`, `SELECT s.${id} FROM (${union}) s`, `ORDER BY s.g, s.n`, page].join('\n');
    const first = groups[0];
    const walk = this.joins.some((j) => j.semi?.index === 'hash') ? first?.group.walk : undefined;
    if (!first || !walk) return { sql, params: this.params };
    // The walk is tried first, alone: its rows are the page when it proves itself complete and fills it.
    const walked = this.walkedGroup(walk, first.order, first.conditions, neededCount, needed);
    const firstSql = `WITH ${walked.ctes.join(',\n')}\nSELECT ${id} FROM g0w WHERE (SELECT complete FROM g0c) ORDER BY n ${page}`;
    const counts = { ...withOwnParams(walked.counts, this.params), n: walked.n };
    return { ...withOwnParams(sql, this.params), firstGroup: { ...withOwnParams(firstSql, this.params), rows: maxResults + 1, counts } };
  }

  /**
   * The first group by walking its order key's index (`g0w`): at most
   * WALK_ENTRIES_PER_ROW entries per needed row, in order, each tested against
   * the `hash` conditions with a hash of their matching owners (built once,
   * from an index, when there are at most MAX_HASHED_OWNERS of them) instead
   * of one index probe per walked entry; other conditions are probed for the
   * entries that pass. PostgreSQL cannot plan this itself: its hash joins
   * lose the walk's order, so a moderately selective filter costs either a
   * probe per walked entry or a sort of every match.
   * `counts` counts (up to a cap) the matches of the indexed conditions, and
   * `g0k` takes them as parameters; with a very selective one the walk is
   * skipped (never computed). The walk's rows
   * are the group's when they provably are (`g0c`): it filled the page and
   * every index entry up to its last value was walked, or it walked the whole
   * index. Otherwise (selective filters, other experiments' runs, fewer
   * matches than the page) the search runs as the joined statement, planned
   * as PostgreSQL sees fit (see buildSplit).
   */
  private walkedGroup(
    walk: IndexWalk,
    order: string,
    conditions: readonly string[],
    neededCount: number,
    needed: string,
  ): { ctes: string[]; counts: string; n: number } {
    const name = 'g0';
    const entries = neededCount * WALK_ENTRIES_PER_ROW;
    const bound = this.bind(entries, 'bigint');
    const selective = this.bind(neededCount * SELECTIVE_MATCHES_PER_ROW, 'bigint');
    const maxHashed = this.bind(Math.max(Math.min(2 * entries, MAX_HASHED_OWNERS), neededCount * SELECTIVE_MATCHES_PER_ROW), 'bigint');
    const owner = `${walk.alias}.${walk.ownerColumn}`;
    const value = walk.valueColumn;
    const counted = this.joins.flatMap(({ semi }) => (semi?.index ? [semi] : []));
    const count = ({ table, alias, predicate }: (typeof counted)[number], cap: string) =>
      `(SELECT count(*) FROM (SELECT 1 FROM ${table.table} ${alias} WHERE ${predicate} LIMIT ${cap}) c)`;
    const probed = counted.flatMap((semi, i) => (semi.index === 'hash' ? [] : [`${count(semi, selective)} AS k${i}`]));
    const probedWalkable = counted.flatMap((semi, i) => (semi.index === 'hash' ? [] : [`k${i} >= ${selective}`]));
    // The hashed conditions are counted (further) only when no probed one is selective.
    const hashed = counted.flatMap((semi, i) =>
      semi.index === 'hash'
        ? [`CASE WHEN ${probedWalkable.join(' AND ') || 'TRUE'} THEN ${count(semi, `${maxHashed} + 1`)} ELSE 0 END AS k${i}`]
        : [],
    );
    const walkable = counted.map((_, i) => `k${i} >= ${selective}`).join(' AND ');
    const filters = counted.flatMap(({ table, alias, predicate, index }, i) => {
      if (index !== 'hash') return [];
      const rows = `FROM ${table.table} ${alias} WHERE ${alias}.${table.ownerColumn} = ${owner} AND ${predicate}`;
      // OFFSET 0 keeps PostgreSQL from turning the probe into a hash too.
      return [
        `CASE WHEN (SELECT k${i} FROM ${name}k) <= ${maxHashed} THEN EXISTS (SELECT 1 ${rows})` +
          ` ELSE EXISTS (SELECT 1 ${rows} OFFSET 0) END`,
      ];
    });
    const direction = walk.ascending ? 'ASC' : 'DESC';
    const source =
      `(SELECT w.${walk.ownerColumn}, w.${value} FROM ${walk.table} w WHERE ${walk.where('w')}` +
      ` ORDER BY w.${value} ${direction} LIMIT ${bound}) ${walk.alias}`;
    const walked = [
      `${name}w AS MATERIALIZED (SELECT ${this.rootId}, ${walk.alias}.${value} AS v, row_number() OVER (ORDER BY ${order}) AS n`,
      `FROM ${source}`,
      // One primary-key probe per walked entry that passed the hashes, whatever the estimates.
      `CROSS JOIN LATERAL (SELECT * FROM ${this.root.table} ${this.root.alias} WHERE ${this.rootId} = ${owner} OFFSET 0) ${this.root.alias}`,
      // Probed conditions join on the walked owner (the root's id, behind the
      // lateral's fence): PostgreSQL may then probe them before the root.
      ...this.joins.filter((j) => j.semi?.index !== 'hash').map((j) => (j.semi ? semiJoinSql(j.semi, owner) : j.sql)),
      `WHERE ${[...conditions, ...filters].join('\n  AND ')}`,
      `ORDER BY ${order}`,
      `LIMIT ${needed})`,
    ].join('\n');
    const last = walk.ascending ? `<= (SELECT max(v) FROM ${name}w)` : `>= (SELECT min(v) FROM ${name}w)`;
    const upTo = (extra: string) =>
      `(SELECT count(*) FROM (SELECT 1 FROM ${walk.table} w WHERE ${walk.where('w')}${extra} LIMIT ${bound} + 1) x) <= ${bound}`;
    // OFFSET 0: each count runs once, not once per reference.
    const counts =
      `SELECT ${counted.map((_, i) => `k${i}`).join(', ')} FROM (SELECT *, ${hashed.join(', ')}` +
      ` FROM (SELECT ${[...probed, 'TRUE AS probed'].join(', ')} OFFSET 0) p OFFSET 0) k`;
    const slots = counted.map((_, i) => `${this.bind(new MatchCountSlot(i), 'bigint')} AS k${i}`);
    const ctes = [
      `${name}k AS MATERIALIZED (SELECT *, ${walkable} AS walk FROM (SELECT ${slots.join(', ')}) k)`,
      walked,
      `${name}c AS MATERIALIZED (SELECT CASE WHEN NOT (SELECT walk FROM ${name}k) THEN false` +
        ` WHEN (SELECT count(*) FROM ${name}w) = ${needed} THEN ${upTo(` AND w.${value} ${last}`)} ELSE ${upTo('')} END AS complete)`,
    ];
    return { ctes, counts, n: counted.length };
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
  index?: ConditionIndex,
): void {
  const alias = q.nextAlias('f');
  q.semiJoin(table, alias, `${alias}.key = ${q.bind(key, 'text')} AND ${rowPredicate(alias)}`, index);
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
    } else if (table) {
      const index = shortLiterals(table, cmp) ? 'hash' : undefined;
      joinKeyValueCondition(q, table, cmp.field.key, (alias) => keyValuePredicate(q, table, alias, cmp), index);
    } else {
      remaining.push(cmp);
    }
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

/**
 * The literals of an `=`/`IN` condition when all are at most `shortBytes`
 * long: the (key, value) INCLUDE (owner) index then holds every candidate.
 */
function shortLiterals(table: KeyValueTable, cmp: FilterComparison): boolean {
  const index = table.valueIndex;
  const { comparator, value } = cmp;
  if (!index || (comparator !== '=' && comparator !== 'IN')) return false;
  if (value.kind !== 'string' && value.kind !== 'list') return false;
  const literals = value.kind === 'list' ? value.values : [value.value];
  return literals.every((literal) => Buffer.byteLength(literal, 'utf8') <= index.shortBytes);
}

function keyValuePredicate(q: QueryBuilder, table: KeyValueTable, alias: string, cmp: FilterComparison): string {
  const index = table.valueIndex;
  const column = `${alias}.value`;
  // Only values of a literal's length can equal it: naming the length range selects the partial index.
  if (index && shortLiterals(table, cmp)) {
    return `${stringPredicate(q, column, cmp)} AND octet_length(${column}) <= ${index.shortBytes}`;
  }
  if (!index || cmp.comparator !== '=' || cmp.value.kind !== 'string') return stringPredicate(q, column, cmp);
  const literal = q.bind(cmp.value.value, 'text');
  const prefix = index.longPrefix;
  return (
    `octet_length(${column}) > ${index.shortBytes}` +
    ` AND left(${column}, ${prefix}) = left(${literal}, ${prefix}) AND ${column} = ${literal}`
  );
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
