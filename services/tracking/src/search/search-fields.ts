/**
 * What each searchable entity accepts: identifier prefixes, attribute keys
 * (with MLflow's aliases) and the comparators allowed per kind of operand.
 * Facts from MLflow's `search_utils.py`, `search_logged_model_utils.py` and
 * the comparator checks of its SQLAlchemy store.
 */

export type FieldType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

export type Comparator =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

/** The operand classes comparators are validated against. */
export type OperandKind = 'metric' | 'param' | 'tag' | 'string_attribute' | 'numeric_attribute' | 'dataset';

export interface AttributeSpec {
  /** Canonical key (aliases such as `created` resolve to `start_time`). */
  key: string;
  numeric: boolean;
}

export interface EntitySpec {
  /** Human name used in messages: "runs", "experiments", "logged models". */
  label: string;
  /** Identifier prefix (as written before the first '.') → field type. */
  prefixes: ReadonlyMap<string, FieldType>;
  /** Canonical prefix names listed in "Invalid entity type" messages. */
  prefixNames: readonly string[];
  filterAttributes: ReadonlyMap<string, AttributeSpec>;
  orderAttributes: ReadonlyMap<string, AttributeSpec>;
  datasetKeys: readonly string[];
  comparators: Readonly<Record<OperandKind, readonly Comparator[]>>;
  /** String attributes that take IN / NOT IN (MLflow 3.17: only run_id); others refuse lists. */
  listAttributes?: ReadonlySet<string>;
}

const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const KEY_VALUE_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const LIST_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
/** Run params and tags also take IS NULL / IS NOT NULL (the key is absent / present). */
const RUN_KEY_VALUE_COMPARATORS: readonly Comparator[] = [...KEY_VALUE_COMPARATORS, 'IS NULL', 'IS NOT NULL'];
const NONE: readonly Comparator[] = [];

function attributes(entries: [alias: string, key: string, numeric: boolean][]): ReadonlyMap<string, AttributeSpec> {
  return new Map(entries.map(([alias, key, numeric]) => [alias, { key, numeric }]));
}

const RUN_ATTRIBUTES = attributes([
  ['run_id', 'run_id', false],
  ['run_name', 'run_name', false],
  ['run name', 'run_name', false],
  ['Run name', 'run_name', false],
  ['Run Name', 'run_name', false],
  ['user_id', 'user_id', false],
  ['status', 'status', false],
  ['artifact_uri', 'artifact_uri', false],
  ['start_time', 'start_time', true],
  ['end_time', 'end_time', true],
  ['created', 'start_time', true],
  ['Created', 'start_time', true],
]);

export const RUN_SEARCH_SPEC: EntitySpec = {
  label: 'runs',
  prefixes: new Map<string, FieldType>([
    ['metric', 'metric'],
    ['metrics', 'metric'],
    ['parameter', 'param'],
    ['parameters', 'param'],
    ['param', 'param'],
    ['params', 'param'],
    ['tag', 'tag'],
    ['tags', 'tag'],
    ['attribute', 'attribute'],
    ['attributes', 'attribute'],
    ['attr', 'attribute'],
    ['run', 'attribute'],
    ['dataset', 'dataset'],
    ['datasets', 'dataset'],
  ]),
  prefixNames: ['metric', 'parameter', 'tag', 'attribute', 'dataset'],
  filterAttributes: RUN_ATTRIBUTES,
  // MLflow: every searchable run attribute is orderable (plus the `created` aliases).
  orderAttributes: new Map([...RUN_ATTRIBUTES].filter(([alias]) => !alias.includes(' '))),
  datasetKeys: ['name', 'digest', 'context'],
  comparators: {
    metric: NUMERIC_COMPARATORS,
    param: RUN_KEY_VALUE_COMPARATORS,
    tag: RUN_KEY_VALUE_COMPARATORS,
    string_attribute: LIST_COMPARATORS,
    numeric_attribute: NUMERIC_COMPARATORS,
    dataset: LIST_COMPARATORS,
  },
  listAttributes: new Set(['run_id']),
};

const EXPERIMENT_FILTER_ATTRIBUTES = attributes([
  ['name', 'name', false],
  ['creation_time', 'creation_time', true],
  ['last_update_time', 'last_update_time', true],
]);

export const EXPERIMENT_SEARCH_SPEC: EntitySpec = {
  label: 'experiments',
  prefixes: new Map<string, FieldType>([
    ['attribute', 'attribute'],
    ['attributes', 'attribute'],
    ['attr', 'attribute'],
    ['tag', 'tag'],
    ['tags', 'tag'],
  ]),
  prefixNames: ['attribute', 'tag', 'tags'],
  filterAttributes: EXPERIMENT_FILTER_ATTRIBUTES,
  orderAttributes: new Map([...EXPERIMENT_FILTER_ATTRIBUTES, ['experiment_id', { key: 'experiment_id', numeric: true }]]),
  datasetKeys: [],
  comparators: {
    metric: NONE,
    param: NONE,
    tag: KEY_VALUE_COMPARATORS,
    string_attribute: KEY_VALUE_COMPARATORS,
    numeric_attribute: NUMERIC_COMPARATORS,
    dataset: NONE,
  },
};

const LOGGED_MODEL_ATTRIBUTES = attributes([
  ['name', 'name', false],
  ['model_id', 'model_id', false],
  ['model_type', 'model_type', false],
  ['status', 'status', false],
  ['source_run_id', 'source_run_id', false],
  ['creation_timestamp', 'creation_timestamp', true],
  ['creation_time', 'creation_timestamp', true],
  ['last_updated_timestamp', 'last_updated_timestamp', true],
  ['last_updated_time', 'last_updated_timestamp', true],
]);

export const LOGGED_MODEL_SEARCH_SPEC: EntitySpec = {
  label: 'logged models',
  prefixes: new Map<string, FieldType>([
    ['attributes', 'attribute'],
    ['attribute', 'attribute'],
    ['metrics', 'metric'],
    ['metric', 'metric'],
    ['params', 'param'],
    ['param', 'param'],
    ['tags', 'tag'],
    ['tag', 'tag'],
  ]),
  prefixNames: ['attributes', 'metrics', 'params', 'tags'],
  filterAttributes: LOGGED_MODEL_ATTRIBUTES,
  orderAttributes: LOGGED_MODEL_ATTRIBUTES,
  datasetKeys: [],
  comparators: {
    metric: NUMERIC_COMPARATORS,
    param: KEY_VALUE_COMPARATORS,
    tag: KEY_VALUE_COMPARATORS,
    string_attribute: KEY_VALUE_COMPARATORS,
    numeric_attribute: NUMERIC_COMPARATORS,
    dataset: NONE,
  },
};

export function operandKind(type: FieldType, numericAttribute: boolean): OperandKind {
  if (type === 'attribute') return numericAttribute ? 'numeric_attribute' : 'string_attribute';
  return type;
}

/** Python-like list rendering for messages: ['a', 'b']. */
export function formatList(items: Iterable<string>): string {
  return `[${[...items].map((item) => `'${item}'`).join(', ')}]`;
}
