import { CairnError } from '@cairn/contracts';
import { describePosition, Token, tokenize } from './filter-lexer';
import { Comparator, EntitySpec, formatList, operandKind } from './search-fields';
import { FieldRef, isKeyword, quoteToken, RawIdentifier, readIdentifier, resolveField, TokenCursor } from './token-cursor';

/**
 * Recursive-descent parser for MLflow search filters:
 *
 *   filter     := comparison ( AND comparison )* EOF
 *   comparison := identifier comparator value | identifier IS [NOT] NULL
 *   comparator := '=' | '!=' | '>' | '>=' | '<' | '<=' | LIKE | ILIKE | IN | NOT IN
 *   value      := string | number | '(' string ( ',' string )* ','? ')'
 *
 * The result is a flat list: MLflow filters are conjunctions only.
 */

export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string; value: number }
  | { kind: 'list'; values: string[] }
  | { kind: 'none' };

export interface FilterComparison {
  field: FieldRef;
  comparator: Comparator;
  value: FilterValue;
}

/** Conditions joined by AND. */
export type FilterAst = FilterComparison[];

/** A value as read, before it is checked against its field. `source` is its text. */
type ParsedValue = (FilterValue | { kind: 'bare' }) & { source: string };

const CONTEXT = 'filter string';
const SYMBOL_COMPARATORS = new Set<string>(['=', '!=', '>', '>=', '<', '<=']);

export function parseFilter(filter: string | null | undefined, spec: EntitySpec): FilterAst {
  if (!filter || filter.trim() === '') return [];
  const cursor = new TokenCursor(filter, tokenize(filter));
  const conditions: FilterAst = [parseComparison(cursor, spec)];
  while (cursor.peek().kind !== 'eof') {
    expectAnd(cursor.next());
    conditions.push(parseComparison(cursor, spec));
  }
  return conditions;
}

function expectAnd(token: Token): void {
  if (isKeyword(token, 'AND')) return;
  if (isKeyword(token, 'OR')) {
    throw CairnError.invalidParameter(
      `Invalid clause(s) in filter string: 'OR' at ${describePosition(token.start)}. ` +
        'Search filters only support AND to combine conditions; OR is not supported',
    );
  }
  throw CairnError.invalidParameter(
    `Invalid clause(s) in filter string: unexpected ${quoteToken(token)}; expected AND or the end of the filter`,
  );
}

function parseComparison(cursor: TokenCursor, spec: EntitySpec): FilterComparison {
  const id = readIdentifier(cursor, CONTEXT);
  const field = resolveField(id, spec, spec.filterAttributes);
  const comparator = readComparator(cursor, id);
  if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
    checkComparator(spec, field, comparator);
    return { field, comparator, value: { kind: 'none' } };
  }
  const value = readValue(cursor, id, comparator);
  checkComparator(spec, field, comparator);
  return { field, comparator, value: checkValue(field, comparator, value) };
}

function readComparator(cursor: TokenCursor, id: RawIdentifier): Comparator {
  const token = cursor.next();
  if (token.kind === 'op') {
    if (SYMBOL_COMPARATORS.has(token.raw)) return token.raw as Comparator;
    throw invalidComparator(token.raw, token);
  }
  const word = token.kind === 'word' ? token.value.toUpperCase() : '';
  if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') return word;
  if (word === 'NOT') return readNotIn(cursor, token);
  if (word === 'IS') return readIsNull(cursor, token);
  const found = token.kind === 'eof' ? 'reached the end of the filter' : `found ${quoteToken(token)}`;
  throw CairnError.invalidParameter(
    `Invalid comparison clause: expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) ` +
      `after '${id.text}', but ${found}`,
  );
}

function readIsNull(cursor: TokenCursor, is: Token): Comparator {
  const negated = isKeyword(cursor.peek(), 'NOT');
  if (negated) cursor.next();
  const next = cursor.next();
  if (next.kind === 'word' && next.value.toUpperCase() === 'NULL') return negated ? 'IS NOT NULL' : 'IS NULL';
  throw invalidComparator(`IS ${negated ? 'NOT ' : ''}${next.raw}`.trim(), is);
}

function readNotIn(cursor: TokenCursor, not: Token): Comparator {
  const next = cursor.next();
  if (isKeyword(next, 'IN')) return 'NOT IN';
  throw invalidComparator(`NOT ${next.raw}`.trim(), not);
}

function invalidComparator(text: string, at: Token): CairnError {
  return CairnError.invalidParameter(
    `Invalid comparator '${text}' at ${describePosition(at.start)}. ` +
      `Valid comparators are ${formatList(['=', '!=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'])}`,
  );
}

function readValue(cursor: TokenCursor, id: RawIdentifier, comparator: Comparator): ParsedValue {
  const token = cursor.peek();
  if (token.kind === 'string') return { kind: 'string', value: cursor.next().value, source: token.raw };
  if (token.kind === 'number') return numberValue(cursor.next().raw);
  if (token.raw === '-' && cursor.peek(1).kind === 'number' && cursor.touches(token, cursor.peek(1))) {
    cursor.next();
    return numberValue(`-${cursor.next().raw}`);
  }
  if (token.kind === 'lparen') return readList(cursor);
  if ((token.kind === 'word' && !isKeyword(token)) || token.kind === 'backtick') {
    return { kind: 'bare', source: cursor.next().raw };
  }
  const found = token.kind === 'eof' ? 'reached the end of the filter' : `found ${quoteToken(token)}`;
  throw CairnError.invalidParameter(
    `Invalid comparison clause: expected a value after '${id.text} ${comparator}', but ${found}`,
  );
}

function numberValue(raw: string): ParsedValue {
  return { kind: 'number', raw, value: Number(raw), source: raw };
}

function readList(cursor: TokenCursor): ParsedValue {
  const open = cursor.next();
  const values: string[] = [];
  if (cursor.peek().kind === 'rparen') {
    throw CairnError.invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  for (;;) {
    values.push(readListItem(cursor, open));
    const separator = cursor.next();
    if (separator.kind === 'rparen') break;
    if (separator.kind !== 'comma') throw illFormedList(cursor, open, separator);
    if (cursor.peek().kind === 'rparen') {
      cursor.next();
      break;
    }
  }
  return { kind: 'list', values, source: cursor.source.slice(open.start, cursor.previous().end) };
}

function readListItem(cursor: TokenCursor, open: Token): string {
  const item = cursor.next();
  if (item.kind === 'string') return item.value;
  if (item.kind === 'eof') throw illFormedList(cursor, open, item);
  throw CairnError.invalidParameter(
    'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
      `but got different type in list: ${cursor.source.slice(open.start, item.end)} (${quoteToken(item)})`,
  );
}

function illFormedList(cursor: TokenCursor, open: Token, at: Token): CairnError {
  const problem = at.kind === 'eof' ? `the list opened at ${describePosition(open.start)} is not closed` : `unexpected ${quoteToken(at)}`;
  return CairnError.invalidParameter(
    `While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list: ` +
      `${cursor.source.slice(open.start, at.end)} (${problem})`,
  );
}

function describeField(field: FieldRef): string {
  if (field.type === 'dataset') return `dataset attribute '${field.key}'`;
  return `${field.type} '${field.key}'`;
}

function checkComparator(spec: EntitySpec, field: FieldRef, comparator: Comparator): void {
  const kind = operandKind(field.type, field.numeric);
  const listOnly = kind === 'string_attribute' && spec.listAttributes && !spec.listAttributes.has(field.key);
  const allowed = spec.comparators[kind].filter((c) => !(listOnly && (c === 'IN' || c === 'NOT IN')));
  if (allowed.includes(comparator)) return;
  throw CairnError.invalidParameter(
    `Invalid comparator '${comparator}' for ${describeField(field)} in ${spec.label} search: ` +
      `not one of ${formatList(allowed)}`,
  );
}

function checkValue(field: FieldRef, comparator: Comparator, value: ParsedValue): FilterValue {
  if (field.numeric) return expectNumber(field, value);
  if (comparator === 'IN' || comparator === 'NOT IN') return expectList(field, comparator, value);
  if (value.kind === 'string') return { kind: 'string', value: value.value };
  throw CairnError.invalidParameter(expectedStringMessage(field, value));
}

function expectNumber(field: FieldRef, value: ParsedValue): FilterValue {
  if (value.kind === 'number') return { kind: 'number', raw: value.raw, value: value.value };
  const what = field.type === 'metric' ? `metric '${field.key}'` : `numeric attribute: ${field.key}`;
  throw CairnError.invalidParameter(`Expected numeric value type for ${what}. Found ${value.source}`);
}

function expectList(field: FieldRef, comparator: Comparator, value: ParsedValue): FilterValue {
  if (value.kind === 'list') return { kind: 'list', values: value.values };
  throw CairnError.invalidParameter(
    `Expected a list of quoted string values, e.g. ('a', 'b'), after ${comparator} for ` +
      `${describeField(field)}. Got value ${value.source}`,
  );
}

function expectedStringMessage(field: FieldRef, value: ParsedValue): string {
  if (value.kind === 'list') {
    return `Only the IN and NOT IN comparators accept a list of values; got ${value.source} for ${describeField(field)}`;
  }
  if (field.type === 'param' || field.type === 'tag') {
    const kind = field.type === 'param' ? 'parameter' : 'tag';
    return `Expected a quoted string value for ${kind} '${field.key}' (e.g. 'my-value'). Got value ${value.source}`;
  }
  if (field.type === 'dataset') return `Expected a quoted string value for dataset attributes. Got value ${value.source}`;
  return `Expected a quoted string value for attributes. Got value ${value.source}`;
}
