import { CairnError } from '@cairn/contracts';
import { describePosition, Token, TokenKind } from './filter-lexer';
import { AttributeSpec, EntitySpec, FieldType, formatList } from './search-fields';

/** A reference to a searchable field, aliases resolved. */
export interface FieldRef {
  type: FieldType;
  key: string;
  /** True for metrics and numeric attributes. */
  numeric: boolean;
}

/** An identifier as written: optional prefix before the first '.', then the key. */
export interface RawIdentifier {
  prefix?: string;
  key: string;
  /** Source text of the whole identifier. */
  text: string;
  start: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL']);
const BARE_KEY_PARTS = new Set<TokenKind>(['word', 'number', 'dot', 'punct']);

export function isKeyword(token: Token, keyword?: string): boolean {
  if (token.kind !== 'word') return false;
  const upper = token.value.toUpperCase();
  return keyword === undefined ? KEYWORDS.has(upper) : upper === keyword;
}

/** Shows a token in a message. */
export function quoteToken(token: Token): string {
  return token.kind === 'eof' ? 'end of input' : `'${token.raw}' at ${describePosition(token.start)}`;
}

/** Sequential access to the tokens of one filter or order_by clause. */
export class TokenCursor {
  private index = 0;
  private readonly eof: Token;

  constructor(
    readonly source: string,
    private readonly tokens: readonly Token[],
  ) {
    this.eof = { kind: 'eof', raw: '', value: '', start: source.length, end: source.length };
  }

  /** The token `ahead` positions on; past the end, the end-of-input token. */
  peek(ahead = 0): Token {
    return this.tokens[this.index + ahead] ?? this.eof;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  /** The token just consumed. */
  previous(): Token {
    return this.tokens[this.index - 1] ?? this.eof;
  }

  /** True when `next` follows `token` with no whitespace in between. */
  touches(token: Token, next: Token = this.peek()): boolean {
    return next.kind !== 'eof' && token.end === next.start;
  }
}

function isIdentifierStart(token: Token): boolean {
  if (token.kind === 'word') return !isKeyword(token);
  return token.kind === 'backtick' || (token.kind === 'string' && token.raw.startsWith('"'));
}

/**
 * Reads `prefix.key`, `` prefix.`quoted key` ``, `prefix."quoted key"` or a
 * bare attribute name. Unquoted keys may contain dots, '-', '/' and ':'.
 */
export function readIdentifier(cursor: TokenCursor, context: string): RawIdentifier {
  const first = cursor.peek();
  if (!isIdentifierStart(first)) {
    const found = first.kind === 'eof' ? 'reached the end of the filter' : `found ${quoteToken(first)}`;
    throw CairnError.invalidParameter(
      `Invalid clause(s) in ${context}: expected an identifier such as metrics.<key>, params.<key>, ` +
        `tags.<key> or attributes.<key>, but ${found}`,
    );
  }
  cursor.next();
  const dot = cursor.peek();
  if (first.kind !== 'string' && dot.kind === 'dot' && cursor.touches(first)) {
    cursor.next();
    const key = readKey(cursor, first, dot, context);
    return { prefix: first.value, key, text: cursor.source.slice(first.start, cursor.previous().end), start: first.start };
  }
  return { key: first.value, text: first.raw, start: first.start };
}

function readKey(cursor: TokenCursor, prefix: Token, dot: Token, context: string): string {
  const next = cursor.peek();
  if (cursor.touches(dot) && (next.kind === 'string' || next.kind === 'backtick')) {
    cursor.next();
    return next.value;
  }
  let end = dot.end;
  while (BARE_KEY_PARTS.has(cursor.peek().kind) && cursor.peek().start === end) end = cursor.next().end;
  if (end === dot.end) {
    throw CairnError.invalidParameter(
      `Invalid identifier '${prefix.raw}.' in ${context} at ${describePosition(prefix.start)}: ` +
        'missing key after the dot (quote keys with special characters in backticks or double quotes)',
    );
  }
  return cursor.source.slice(dot.end, end);
}

/** Maps a written identifier to a field of `spec`, with MLflow's messages. */
export function resolveField(
  id: RawIdentifier,
  spec: EntitySpec,
  attributes: ReadonlyMap<string, AttributeSpec>,
): FieldRef {
  const type = id.prefix === undefined ? 'attribute' : spec.prefixes.get(id.prefix);
  if (type === undefined) {
    throw CairnError.invalidParameter(
      `Invalid entity type '${id.prefix}'. Valid values are ${formatList(spec.prefixNames)}`,
    );
  }
  if (type === 'attribute') return resolveAttribute(id.key, attributes);
  if (type === 'dataset' && !spec.datasetKeys.includes(id.key)) {
    throw CairnError.invalidParameter(
      `Invalid dataset key '${id.key}' specified. Valid keys are ${formatList(spec.datasetKeys)}`,
    );
  }
  return { type, key: id.key, numeric: type === 'metric' };
}

function resolveAttribute(key: string, attributes: ReadonlyMap<string, AttributeSpec>): FieldRef {
  const attribute = attributes.get(key);
  if (!attribute) {
    throw CairnError.invalidParameter(
      `Invalid attribute key '${key}' specified. Valid keys are ${formatList(attributes.keys())}`,
    );
  }
  return { type: 'attribute', key: attribute.key, numeric: attribute.numeric };
}
