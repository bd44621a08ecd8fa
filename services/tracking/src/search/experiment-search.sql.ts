import { parseFilter } from './filter-parser';
import { OrderKey, parseExperimentOrderBy } from './order-by';
import { EXPERIMENT_SEARCH_SPEC } from './search-fields';
import {
  applyCommonConditions,
  applyCommonOrderKey,
  applyViewType,
  EntityTables,
  QueryBuilder,
  SearchQuery,
  unsupportedField,
  validatePaging,
  ViewType,
} from './sql-builder';

export interface ExperimentSearchInput {
  filter: string;
  orderBy: string[];
  viewType: ViewType;
  maxResults: number;
  offset: number;
}

/** MLflow's search_experiments ceiling for max_results. */
export const EXPERIMENT_SEARCH_MAX_RESULTS = 50_000;

/** MLflow's default when no order_by is given. */
const DEFAULT_ORDER = ['creation_time DESC', 'experiment_id ASC'];

const EXPERIMENT_TABLES: EntityTables = {
  attributeColumn: (key) => `e.${key}`,
  nullableAttributes: new Set(),
  tags: { table: 'tracking.experiment_tags', ownerColumn: 'experiment_id' },
};

/** One query returning the requested page of experiment ids, in order. */
export function compileExperimentSearch(input: ExperimentSearchInput): SearchQuery {
  validatePaging(input.maxResults, input.offset, EXPERIMENT_SEARCH_MAX_RESULTS);
  const conditions = parseFilter(input.filter, EXPERIMENT_SEARCH_SPEC);
  const order = parseExperimentOrderBy(input.orderBy?.length ? input.orderBy : DEFAULT_ORDER);
  const q = new QueryBuilder({ table: 'tracking.experiments', alias: 'e', idColumn: 'experiment_id' });
  applyViewType(q, 'e.lifecycle_stage', input.viewType);
  const [leftover] = applyCommonConditions(q, EXPERIMENT_TABLES, conditions);
  if (leftover) throw unsupportedField(leftover.field);
  for (const key of order) applyCommonOrderKey(q, EXPERIMENT_TABLES, key);
  if (!order.some(isExperimentId)) q.orderBy('e.experiment_id DESC');
  return q.build(input.maxResults, input.offset);
}

/** MLflow breaks ties on experiment_id DESC unless order_by names it. */
function isExperimentId({ field }: OrderKey): boolean {
  return field.type === 'attribute' && field.key === 'experiment_id';
}
