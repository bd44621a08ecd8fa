import { CairnError } from '@cairn/contracts';
import { tokenize } from './filter-lexer';
import { EntitySpec, EXPERIMENT_SEARCH_SPEC, LOGGED_MODEL_SEARCH_SPEC, RUN_SEARCH_SPEC } from './search-fields';
import { FieldRef, readIdentifier, resolveField, TokenCursor } from './token-cursor';

/**
 * order_by parsing. Runs and experiments take strings such as
 * `metrics.acc DESC`, `` tags.`my tag` ASC `` or `start_time`; logged models
 * take objects `{field_name, ascending, dataset_name, dataset_digest}`.
 */

export interface OrderKey {
  field: FieldRef;
  ascending: boolean;
}

export interface LoggedModelOrderKey extends OrderKey {
  datasetName?: string;
  datasetDigest?: string;
}

export interface LoggedModelOrderByInput {
  field_name: string;
  ascending?: boolean;
  dataset_name?: string;
  dataset_digest?: string;
}

/** Parses one `<identifier> [ASC|DESC]` clause against `spec`. */
export function parseOrderByClause(clause: string, spec: EntitySpec): OrderKey {
  const cursor = new TokenCursor(clause, tokenizeClause(clause));
  if (cursor.peek().kind === 'eof') throw unparsable(clause);
  const id = readIdentifierOrFail(cursor, clause);
  const ascending = readDirection(cursor, clause);
  if (cursor.peek().kind !== 'eof') throw unparsable(clause);
  return { field: resolveField(id, spec, spec.orderAttributes), ascending };
}

function tokenizeClause(clause: string): ReturnType<typeof tokenize> {
  try {
    return tokenize(clause);
  } catch (error) {
    throw unparsable(clause, error);
  }
}

function readIdentifierOrFail(cursor: TokenCursor, clause: string): ReturnType<typeof readIdentifier> {
  try {
    return readIdentifier(cursor, 'order_by clause');
  } catch (error) {
    throw unparsable(clause, error);
  }
}

function readDirection(cursor: TokenCursor, clause: string): boolean {
  const token = cursor.peek();
  if (token.kind === 'eof') return true;
  if (token.kind !== 'word') throw unparsable(clause);
  cursor.next();
  const direction = token.value.toLowerCase();
  if (direction !== 'asc' && direction !== 'desc') {
    throw CairnError.invalidParameter(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return direction === 'asc';
}

function unparsable(clause: string, cause?: unknown): CairnError {
  const detail = cause instanceof Error ? ` ${cause.message}` : '';
  return CairnError.invalidParameter(`Invalid order_by clause '${clause}'. Could not be parsed.${detail}`);
}

/** Run order_by: metrics, params, tags and attributes; a field may appear once. */
export function parseRunOrderBy(clauses: readonly string[] | undefined): OrderKey[] {
  const keys = (clauses ?? []).map((clause) => parseOrderByClause(clause, RUN_SEARCH_SPEC));
  const seen = new Set<string>();
  for (const { field } of keys) {
    if (field.type === 'dataset') {
      throw CairnError.invalidParameter(`Invalid order_by entity type '${field.type}'`);
    }
    const id = `${field.type}\u0000${field.key}`;
    if (seen.has(id)) {
      throw CairnError.invalidParameter(`\`order_by\` contains duplicate fields: ${JSON.stringify(clauses)}`);
    }
    seen.add(id);
  }
  return keys;
}

/** Experiment order_by: attributes only (name, experiment_id, creation_time, last_update_time). */
export function parseExperimentOrderBy(clauses: readonly string[] | undefined): OrderKey[] {
  return (clauses ?? []).map((clause) => {
    const key = parseOrderByClause(clause, EXPERIMENT_SEARCH_SPEC);
    if (key.field.type !== 'attribute') {
      throw CairnError.invalidParameter(`Invalid order_by entity: ${key.field.type}`);
    }
    return key;
  });
}

/** Logged-model order_by objects: an attribute or `metrics.<key>` (optionally per dataset). */
export function parseLoggedModelOrderBy(items: readonly LoggedModelOrderByInput[] | undefined): LoggedModelOrderKey[] {
  return (items ?? []).map(parseLoggedModelOrderItem);
}

function parseLoggedModelOrderItem(item: LoggedModelOrderByInput): LoggedModelOrderKey {
  const fieldName = typeof item?.field_name === 'string' ? item.field_name.trim() : '';
  if (!fieldName) throw CairnError.invalidParameter('`field_name` in the `order_by` clause must be specified.');
  if (item.ascending !== undefined && typeof item.ascending !== 'boolean') {
    throw CairnError.invalidParameter(
      `Value of \`ascending\` in the \`order_by\` clause must be a boolean, got ${typeof item.ascending} for field ${fieldName}.`,
    );
  }
  if (item.dataset_digest && !item.dataset_name) {
    throw CairnError.invalidParameter('`dataset_digest` can only be specified if `dataset_name` is also specified.');
  }
  return {
    field: loggedModelOrderField(fieldName),
    ascending: item.ascending ?? true,
    datasetName: item.dataset_name || undefined,
    datasetDigest: item.dataset_digest || undefined,
  };
}

function loggedModelOrderField(fieldName: string): FieldRef {
  const dot = fieldName.indexOf('.');
  if (dot < 0) {
    const attribute = LOGGED_MODEL_SEARCH_SPEC.orderAttributes.get(fieldName);
    if (!attribute) throw CairnError.invalidParameter(`Invalid order by field name: ${fieldName}.`);
    return { type: 'attribute', key: attribute.key, numeric: attribute.numeric };
  }
  const entity = fieldName.slice(0, dot);
  const key = stripBackticks(fieldName.slice(dot + 1));
  if (entity !== 'metrics' || key === '') {
    throw CairnError.invalidParameter(`Invalid order by field name: ${fieldName}. Only metrics are supported.`);
  }
  return { type: 'metric', key, numeric: true };
}

function stripBackticks(key: string): string {
  return key.length >= 2 && key.startsWith('`') && key.endsWith('`') ? key.slice(1, -1) : key;
}
