import { CairnError } from '@cairn/contracts';

/**
 * MLflow's filter grammar for registered models and model versions
 * (SearchModelUtils / SearchModelVersionUtils): comparisons joined by AND.
 *
 *   filter     := comparison (AND comparison)*
 *   comparison := identifier comparator value
 *   identifier := key | entity '.' key        entity: attribute | tag | tags
 *   key        := word | `backticked` | "double quoted"   (after the entity, dots belong to the key)
 *   comparator := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN
 *   value      := 'string' | "string" | number | '(' string (',' string)* ')'
 *
 * Which keys and comparators each search allows is checked by `parseRegistryFilter`.
 */

export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; raw: string }
  | { kind: 'list'; values: string[] };

export interface Condition {
  type: 'attribute' | 'tag';
  key: string;
  comparator: Comparator;
  value: FilterValue;
}

type TokenKind = 'word' | 'backtick' | 'dquote' | 'squote' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'dot' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  /** Source text, quotes included. */
  raw: string;
  start: number;
  /** Whitespace precedes the token. */
  spaced: boolean;
}

function invalid(message: string): CairnError {
  return CairnError.invalidParameter(message);
}

const WORD = /[\p{L}\p{N}_]+/uy;
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATOR = /(?:!=|<>|>=|<=|==|=|>|<)/y;

function quoted(input: string, start: number, quote: string): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (ch === '\\' && quote !== '`' && i + 1 < input.length) {
      const next = input.charAt(i + 1);
      text += next === quote ? quote : `\\${next}`;
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (quote !== '`' && input.charAt(i + 1) === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    text += ch;
    i += 1;
  }
  throw invalid(`Invalid filter '${input}': unterminated ${quote === '`' ? 'backtick' : 'string'} at position ${start + 1}.`);
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = false;
  const push = (kind: TokenKind, text: string, raw: string, start: number): void => {
    tokens.push({ kind, text, raw, start, spaced });
    spaced = false;
  };
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      spaced = true;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      const { text, end } = quoted(input, i, ch);
      push(ch === "'" ? 'squote' : ch === '"' ? 'dquote' : 'backtick', text, input.slice(i, end), i);
      i = end;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') {
      const kind = ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : ch === ',' ? 'comma' : 'dot';
      // ".5" is a number, not a dot.
      if (!(ch === '.' && /\d/.test(input.charAt(i + 1)) && tokens[tokens.length - 1]?.kind === 'op')) {
        push(kind, ch, ch, i);
        i += 1;
        continue;
      }
    }
    OPERATOR.lastIndex = i;
    const op = OPERATOR.exec(input);
    if (op) {
      push('op', op[0], op[0], i);
      i += op[0].length;
      continue;
    }
    const previous = tokens[tokens.length - 1];
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(input);
    if (number && (previous?.kind === 'op' || previous?.kind === 'lparen' || previous?.kind === 'comma')) {
      push('number', number[0], number[0], i);
      i += number[0].length;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(input);
    if (word) {
      push('word', word[0], word[0], i);
      i += word[0].length;
      continue;
    }
    throw invalid(`Invalid filter '${input}': unexpected character '${ch}' at position ${i + 1}.`);
  }
  tokens.push({ kind: 'eof', text: '', raw: '', start: input.length, spaced });
  return tokens;
}

class Cursor {
  private index = 0;

  constructor(
    private readonly tokens: Token[],
    readonly input: string,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'word' && token.text.toUpperCase() === word;
  }
}

const ENTITY_TYPES: Record<string, Condition['type']> = { attribute: 'attribute', tag: 'tag', tags: 'tag' };

function readIdentifier(c: Cursor): { entity: string | undefined; key: string; raw: string } {
  const first = c.next();
  if (first.kind !== 'word' && first.kind !== 'backtick' && first.kind !== 'dquote') {
    throw invalid(`Invalid clause(s) in filter string: ${first.raw || 'end of input'}`);
  }
  if (first.kind === 'word' && c.peek().kind === 'dot' && !c.peek().spaced) {
    c.next();
    // Everything glued after the dot is the key: tags.a.b → key "a.b".
    let key = '';
    let raw = `${first.raw}.`;
    for (;;) {
      const part = c.next();
      if (part.spaced || !['word', 'backtick', 'dquote', 'number'].includes(part.kind)) {
        throw invalid(`Invalid identifier '${raw}${part.raw}' in filter '${c.input}'.`);
      }
      key += part.text;
      raw += part.raw;
      const after = c.peek();
      if (after.spaced || (after.kind !== 'dot' && after.kind !== 'word' && after.kind !== 'number')) break;
      if (after.kind === 'dot') {
        c.next();
        key += '.';
        raw += '.';
      }
    }
    return { entity: first.text, key, raw };
  }
  return { entity: undefined, key: first.text, raw: first.raw };
}

function readComparator(c: Cursor): Comparator {
  const token = c.next();
  if (token.kind === 'op') {
    if (['=', '!=', '>', '>=', '<', '<='].includes(token.text)) return token.text as Comparator;
    throw invalid(`Invalid comparator '${token.text}' in filter '${c.input}'.`);
  }
  if (token.kind === 'word') {
    const upper = token.text.toUpperCase();
    if (upper === 'LIKE' || upper === 'ILIKE' || upper === 'IN') return upper;
    if (upper === 'NOT' && c.isKeyword('IN')) {
      c.next();
      return 'NOT IN';
    }
  }
  throw invalid(`Invalid comparison clause in filter '${c.input}': expected a comparator, found '${token.raw || 'end of input'}'.`);
}

function readValue(c: Cursor): FilterValue {
  const token = c.next();
  if (token.kind === 'squote' || token.kind === 'dquote') return { kind: 'string', value: token.text };
  if (token.kind === 'number') return { kind: 'number', raw: token.text };
  if (token.kind === 'lparen') {
    const values: string[] = [];
    for (;;) {
      const item = c.next();
      if (item.kind === 'rparen' && values.length === 0) break;
      if (item.kind !== 'squote' && item.kind !== 'dquote') {
        throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.');
      }
      values.push(item.text);
      const sep = c.next();
      if (sep.kind === 'rparen') break;
      if (sep.kind !== 'comma') {
        throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.');
      }
    }
    if (values.length === 0) {
      throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.');
    }
    return { kind: 'list', values };
  }
  throw invalid(
    `Expected a quoted string value or a list of quoted string values for attributes. Got value ${token.raw || 'end of input'}`,
  );
}

/** Splits a filter into raw comparisons (keys and comparators not checked yet). */
export function parseFilter(filter: string | undefined): { entity: string | undefined; key: string; raw: string; comparator: Comparator; value: FilterValue }[] {
  if (filter === undefined || filter.trim() === '') return [];
  const c = new Cursor(tokenize(filter), filter);
  const out = [];
  for (;;) {
    const identifier = readIdentifier(c);
    const comparator = readComparator(c);
    const value = readValue(c);
    out.push({ ...identifier, comparator, value });
    if (c.peek().kind === 'eof') return out;
    if (!c.isKeyword('AND')) throw invalid(`Invalid clause(s) in filter string: ${c.peek().raw}`);
    c.next();
  }
}

export interface FilterSpec {
  /** Attribute keys the search accepts. */
  attributes: readonly string[];
  /** Attributes compared as integers (version_number). */
  numericAttributes: readonly string[];
  /** Attributes that accept IN / NOT IN lists. */
  listAttributes: readonly string[];
}

export const MODEL_FILTER: FilterSpec = { attributes: ['name'], numericAttributes: [], listAttributes: ['name'] };

export const VERSION_FILTER: FilterSpec = {
  attributes: ['name', 'version_number', 'run_id', 'source_path'],
  numericAttributes: ['version_number'],
  listAttributes: ['name', 'run_id'],
};

const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const TAG_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];

function setRepr(values: readonly string[]): string {
  return `{${values.map((v) => `'${v}'`).join(', ')}}`;
}

/** Parses and checks a registry filter: keys, comparators and values as MLflow allows them. */
export function parseRegistryFilter(filter: string | undefined, spec: FilterSpec): Condition[] {
  return parseFilter(filter).map((raw) => {
    let type: Condition['type'] = 'attribute';
    if (raw.entity !== undefined) {
      const entityType = ENTITY_TYPES[raw.entity];
      if (!entityType) {
        throw invalid(`Invalid entity type '${raw.entity}'. Valid entity types are ('attribute', 'tag', 'tags')`);
      }
      type = entityType;
    }
    const { key, comparator, value } = raw;
    if (type === 'tag') {
      if (!TAG_COMPARATORS.includes(comparator)) throw invalid(`Invalid comparator for tag: ${comparator}`);
      if (value.kind !== 'string') {
        throw invalid(
          `Expected a quoted string value for tag (e.g. 'my-value'). Got value ${value.kind === 'number' ? value.raw : 'a list'}`,
        );
      }
      return { type, key, comparator, value };
    }
    if (!spec.attributes.includes(key)) {
      throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${setRepr(spec.attributes)}'`);
    }
    if (spec.numericAttributes.includes(key)) {
      if (!NUMERIC_COMPARATORS.includes(comparator)) {
        throw invalid(`Invalid comparator for attribute ${key}: ${comparator}`);
      }
      if (value.kind === 'list') {
        throw invalid(
          `Only ${JSON.stringify([...spec.listAttributes].sort()).replace(/"/g, "'").replace(/,/g, ', ')} attributes support comparison with a list of quoted string values.`,
        );
      }
      const rawNumber = value.kind === 'number' ? value.raw : value.value;
      if (!/^[+-]?\d+$/.test(rawNumber.trim())) {
        throw invalid(`Invalid value for numeric attribute '${key}': '${rawNumber}'`);
      }
      return { type, key, comparator, value: { kind: 'number', raw: String(Number(rawNumber.trim())) } };
    }
    if (!STRING_COMPARATORS.includes(comparator)) throw invalid(`Invalid comparator for attribute: ${comparator}`);
    if (value.kind === 'number') {
      throw invalid(`Only the '${setRepr(spec.numericAttributes)}' attributes support comparison with numeric values.`);
    }
    const isList = comparator === 'IN' || comparator === 'NOT IN';
    if (isList && !spec.listAttributes.includes(key)) throw invalid(`Invalid comparator for attribute: ${comparator}`);
    if (value.kind === 'list' && !isList) {
      throw invalid(`Invalid comparison clause: ${comparator} takes a quoted string value, not a list.`);
    }
    if (isList && value.kind !== 'list') {
      throw invalid(`Invalid comparison clause: ${comparator} takes a list of quoted string values, e.g. ('a', 'b').`);
    }
    return { type, key, comparator, value };
  });
}
