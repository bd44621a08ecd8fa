import { FilterComparison, parseFilter } from './filter-parser';
import { OrderKey, parseRunOrderBy } from './order-by';
import { RUN_SEARCH_SPEC } from './search-fields';
import {
  applyCommonConditions,
  applyCommonOrderKey,
  applyViewType,
  EntityTables,
  idListCondition,
  joinKeyValueCondition,
  joinKeyValueForOrder,
  numericPredicate,
  orderTerm,
  QueryBuilder,
  SearchQuery,
  stringPredicate,
  unsupportedField,
  validatePaging,
  ViewType,
} from './sql-builder';

export interface RunSearchInput {
  experimentIds: number[];
  filter: string;
  orderBy: string[];
  runViewType: ViewType;
  maxResults: number;
  offset: number;
}

/** MLflow's search_runs ceiling for max_results. */
export const RUN_SEARCH_MAX_RESULTS = 50_000;

const RUN_COLUMNS: Record<string, string> = {
  run_id: 'run_uuid',
  run_name: 'name',
  user_id: 'user_id',
  status: 'status',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
};

const LATEST_METRICS = { table: 'tracking.latest_metrics', ownerColumn: 'run_uuid' };

const RUN_TABLES: EntityTables = {
  attributeColumn: (key) => `r.${RUN_COLUMNS[key] ?? key}`,
  nullableAttributes: new Set(['end_time']),
  // Both are indexed on (key, value) for values up to 1000 bytes, on (key, left(value, 200)) beyond.
  params: { table: 'tracking.params', ownerColumn: 'run_uuid', valueIndex: { shortBytes: 1000, longPrefix: 200 } },
  tags: { table: 'tracking.tags', ownerColumn: 'run_uuid', valueIndex: { shortBytes: 1000, longPrefix: 200 } },
};

/**
 * One query returning the requested page of run ids, in order:
 * one JOIN per metric/param/tag condition, EXISTS per dataset condition,
 * one LEFT JOIN per order key, then `start_time DESC, run_uuid ASC`.
 */
export function compileRunSearch(input: RunSearchInput): SearchQuery {
  validatePaging(input.maxResults, input.offset, RUN_SEARCH_MAX_RESULTS);
  const conditions = parseFilter(input.filter, RUN_SEARCH_SPEC);
  const order = parseRunOrderBy(input.orderBy);
  const q = new QueryBuilder({ table: 'tracking.runs', alias: 'r', idColumn: 'run_uuid' });
  q.where(idListCondition(q, 'r.experiment_id', input.experimentIds));
  applyViewType(q, 'r.lifecycle_stage', input.runViewType);
  for (const cmp of applyCommonConditions(q, RUN_TABLES, conditions)) applyRunCondition(q, cmp);
  order.forEach((key, index) => applyRunOrderKey(q, key, index === 0));
  applyRunTieBreakers(q, order);
  return q.build(input.maxResults, input.offset);
}

function applyRunCondition(q: QueryBuilder, cmp: FilterComparison): void {
  if (cmp.field.type === 'metric') {
    // latest_metrics (key, value) finds the matches of any comparison.
    joinKeyValueCondition(q, LATEST_METRICS, cmp.field.key, (alias) => metricPredicate(q, alias, cmp), 'count');
  } else if (cmp.field.type === 'dataset') {
    q.where(datasetExists(q, cmp));
  } else {
    throw unsupportedField(cmp.field);
  }
}

/**
 * Compares the latest value. A NaN metric (is_nan) only satisfies `!=`,
 * as NaN compares unequal to everything.
 */
function metricPredicate(q: QueryBuilder, alias: string, cmp: FilterComparison): string {
  const comparison = numericPredicate(q, `${alias}.value`, cmp, 'double precision');
  if (cmp.comparator === '!=') return `(${alias}.is_nan IS TRUE OR ${comparison})`;
  return `${alias}.is_nan IS NOT TRUE AND ${comparison}`;
}

/** A run matches when any of its dataset inputs satisfies the condition. */
function datasetExists(q: QueryBuilder, cmp: FilterComparison): string {
  const input = q.nextAlias('ri');
  const dataset = q.nextAlias('d');
  const column = cmp.field.key === 'context' ? `${input}.context` : `${dataset}.${cmp.field.key}`;
  return (
    `EXISTS (SELECT 1 FROM tracking.run_inputs ${input}` +
    ` JOIN tracking.datasets ${dataset} ON ${dataset}.dataset_uuid = ${input}.dataset_uuid` +
    ` WHERE ${input}.run_uuid = ${q.rootId} AND ${stringPredicate(q, column, cmp)})`
  );
}

/** Metrics sort real values first, then NaN, then missing (MLflow's order), in either direction. */
function applyRunOrderKey(q: QueryBuilder, key: OrderKey, first: boolean): void {
  if (applyCommonOrderKey(q, RUN_TABLES, key)) return;
  if (key.field.type !== 'metric') throw unsupportedField(key.field);
  if (first) {
    splitMetricOrder(q, key.field.key, key.ascending);
    return;
  }
  const alias = joinKeyValueForOrder(q, LATEST_METRICS, key.field.key);
  q.orderBy(`CASE WHEN ${alias}.is_nan THEN 1 WHEN ${alias}.value IS NULL THEN 2 ELSE 0 END`);
  q.orderBy(orderTerm(`${alias}.value`, key.ascending, false));
}

/**
 * The leading metric key: real values first, as their own ordered and limited
 * group, so that the (key, value) index of latest_metrics can drive it and
 * stop at the page end (see QueryBuilder.walkedGroup); then NaN values, then
 * runs without the metric (MLflow's order), each group only running when
 * the previous ones did not fill the page. Separate NaN and missing groups
 * keep every group cheap to plan and to estimate: an estimate over every
 * run of the experiment would make PostgreSQL JIT-compile the query.
 */
function splitMetricOrder(q: QueryBuilder, metricKey: string, ascending: boolean): void {
  const key = q.bind(metricKey, 'text');
  const alias = q.nextAlias('o');
  const table = LATEST_METRICS.table;
  const on = `${alias}.${LATEST_METRICS.ownerColumn} = ${q.rootId} AND ${alias}.key = ${key}`;
  const valueTerm = orderTerm(`${alias}.value`, ascending, false);
  const real = (a: string) => `${a}.key = ${key} AND ${a}.is_nan IS NOT TRUE AND ${a}.value IS NOT NULL`;
  q.splitOrder([
    {
      join: `JOIN ${table} ${alias} ON ${alias}.${LATEST_METRICS.ownerColumn} = ${q.rootId} AND ${real(alias)}`,
      orderTerms: [valueTerm],
      // The (key, value) INCLUDE (run_uuid, is_nan) index, walked index-only.
      walk: { table, alias, ownerColumn: LATEST_METRICS.ownerColumn, valueColumn: 'value', ascending, where: real },
    },
    { join: `JOIN ${table} ${alias} ON ${on} AND ${alias}.is_nan IS TRUE`, orderTerms: [valueTerm] },
    { where: `NOT EXISTS (SELECT 1 FROM ${table} ${alias} WHERE ${on})`, orderTerms: [] },
  ]);
}

function applyRunTieBreakers(q: QueryBuilder, order: readonly OrderKey[]): void {
  const ordersByStartTime = order.some(({ field }) => field.type === 'attribute' && field.key === 'start_time');
  // Matches the index runs (experiment_id, start_time DESC, run_uuid).
  if (!ordersByStartTime) q.orderBy('r.start_time DESC');
  q.orderBy('r.run_uuid ASC');
}
