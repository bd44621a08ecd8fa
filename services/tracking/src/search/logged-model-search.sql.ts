import { CairnError } from '@cairn/contracts';
import { FilterComparison, parseFilter } from './filter-parser';
import { LoggedModelOrderByInput, LoggedModelOrderKey, parseLoggedModelOrderBy } from './order-by';
import { LOGGED_MODEL_SEARCH_SPEC } from './search-fields';
import {
  applyCommonConditions,
  applyCommonOrderKey,
  EntityTables,
  idListCondition,
  numericPredicate,
  orderTerm,
  QueryBuilder,
  SearchQuery,
  unsupportedField,
  validatePaging,
} from './sql-builder';

export interface LoggedModelDatasetFilter {
  dataset_name: string;
  dataset_digest?: string;
}

export interface LoggedModelSearchInput {
  experimentIds: number[];
  filter: string;
  orderBy: LoggedModelOrderByInput[];
  maxResults: number;
  offset: number;
  datasets?: LoggedModelDatasetFilter[];
}

const LOGGED_MODEL_TABLES: EntityTables = {
  attributeColumn: (key) => `m.${key}`,
  nullableAttributes: new Set(['model_type', 'source_run_id']),
  params: { table: 'tracking.logged_model_params', ownerColumn: 'model_id' },
  tags: { table: 'tracking.logged_model_tags', ownerColumn: 'model_id' },
};

/**
 * One query returning the requested page of logged-model ids, in order.
 * As in MLflow: deleted models never match; a metric condition matches when
 * any recorded value of the metric (on one of the requested datasets, if
 * any) satisfies it; datasets without metric conditions keep the models that
 * have some metric on one of those datasets; ordering by a metric uses its
 * latest value (timestamp, then step); default order is creation time DESC.
 */
export function compileLoggedModelSearch(input: LoggedModelSearchInput): SearchQuery {
  validatePaging(input.maxResults, input.offset);
  const datasets = validateDatasets(input.datasets);
  const conditions = parseFilter(input.filter, LOGGED_MODEL_SEARCH_SPEC);
  const order = parseLoggedModelOrderBy(input.orderBy);
  const q = new QueryBuilder({ table: 'tracking.logged_models', alias: 'm', idColumn: 'model_id' });
  q.where(idListCondition(q, 'm.experiment_id', input.experimentIds));
  q.where(`m.lifecycle_stage <> 'deleted'`);
  const metricConditions = applyCommonConditions(q, LOGGED_MODEL_TABLES, conditions);
  for (const cmp of metricConditions) q.where(metricExists(q, cmp, datasets));
  if (datasets.length > 0 && metricConditions.length === 0) q.where(metricExists(q, undefined, datasets));
  for (const key of order) applyLoggedModelOrderKey(q, key);
  applyLoggedModelTieBreakers(q, order);
  return q.build(input.maxResults, input.offset);
}

function validateDatasets(datasets: readonly LoggedModelDatasetFilter[] | undefined): LoggedModelDatasetFilter[] {
  const list = datasets ?? [];
  if (list.some((dataset) => !dataset?.dataset_name)) {
    throw CairnError.invalidParameter('`dataset_name` in the `datasets` clause must be specified.');
  }
  return [...list];
}

/** EXISTS over logged_model_metrics: the metric condition (if any) on one of the datasets (if any). */
function metricExists(
  q: QueryBuilder,
  cmp: FilterComparison | undefined,
  datasets: readonly LoggedModelDatasetFilter[],
): string {
  if (cmp && cmp.field.type !== 'metric') throw unsupportedField(cmp.field);
  const alias = q.nextAlias('lm');
  const predicates = [`${alias}.model_id = ${q.rootId}`];
  if (cmp) {
    predicates.push(`${alias}.key = ${q.bind(cmp.field.key, 'text')}`);
    predicates.push(numericPredicate(q, `${alias}.value`, cmp, 'double precision'));
  }
  if (datasets.length > 0) predicates.push(`(${datasets.map((d) => datasetPredicate(q, alias, d)).join(' OR ')})`);
  return `EXISTS (SELECT 1 FROM tracking.logged_model_metrics ${alias} WHERE ${predicates.join(' AND ')})`;
}

function datasetPredicate(q: QueryBuilder, alias: string, dataset: LoggedModelDatasetFilter): string {
  const name = `${alias}.dataset_name = ${q.bind(dataset.dataset_name, 'text')}`;
  if (dataset.dataset_digest === undefined || dataset.dataset_digest === null) return name;
  return `(${name} AND ${alias}.dataset_digest = ${q.bind(dataset.dataset_digest, 'text')})`;
}

function applyLoggedModelOrderKey(q: QueryBuilder, key: LoggedModelOrderKey): void {
  if (applyCommonOrderKey(q, LOGGED_MODEL_TABLES, key)) return;
  if (key.field.type !== 'metric') throw unsupportedField(key.field);
  const alias = joinLatestMetric(q, key);
  q.orderBy(orderTerm(`${alias}.value`, key.ascending));
}

/** LEFT JOIN LATERAL on the latest value of a metric (optionally for one dataset). */
function joinLatestMetric(q: QueryBuilder, key: LoggedModelOrderKey): string {
  const alias = q.nextAlias('o');
  const predicates = [`lm.model_id = ${q.rootId}`, `lm.key = ${q.bind(key.field.key, 'text')}`];
  if (key.datasetName) predicates.push(`lm.dataset_name = ${q.bind(key.datasetName, 'text')}`);
  if (key.datasetDigest) predicates.push(`lm.dataset_digest = ${q.bind(key.datasetDigest, 'text')}`);
  q.join(
    `LEFT JOIN LATERAL (SELECT lm.value FROM tracking.logged_model_metrics lm WHERE ${predicates.join(' AND ')}` +
      ` ORDER BY lm.timestamp DESC, lm.step DESC LIMIT 1) ${alias} ON TRUE`,
  );
  return alias;
}

function applyLoggedModelTieBreakers(q: QueryBuilder, order: readonly LoggedModelOrderKey[]): void {
  const hasAttribute = (name: string): boolean =>
    order.some(({ field }) => field.type === 'attribute' && field.key === name);
  // Matches the index logged_models (experiment_id, creation_timestamp DESC, model_id).
  if (!hasAttribute('creation_timestamp')) q.orderBy('m.creation_timestamp DESC');
  if (!hasAttribute('model_id')) q.orderBy('m.model_id ASC');
}
