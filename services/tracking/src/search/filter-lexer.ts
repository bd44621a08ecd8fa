import { CairnError } from '@cairn/contracts';

/**
 * Tokenizer for MLflow's search grammar (filters and order_by clauses).
 *
 * Lexical rules follow MLflow (which tokenizes with sqlparse):
 * - `'...'` and `"..."` are strings; inside them a doubled quote (`''`) or a
 *   backslash-escaped quote (`\'`) stands for the quote character and `\\` is
 *   kept verbatim (so LIKE patterns keep their backslash escapes).
 * - `` `...` `` quotes an identifier part (no escapes).
 * - numbers: `12`, `-3`, `1.5`, `.5`, `2.`, `1e-3`, `6.02E+23`.
 * - comparison operators are runs of `< > = ! ~`; the parser validates them.
 * - `-`, `/` and `:` are key punctuation (MLflow keys may contain them).
 */
export type TokenKind =
  | 'word'
  | 'number'
  | 'string'
  | 'backtick'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'dot'
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token, quotes included. */
  raw: string;
  /** Decoded text: string/backtick content without quotes; otherwise `raw`. */
  value: string;
  /** 0-based offset of the first character. */
  start: number;
  /** 0-based offset just past the last character. */
  end: number;
}

const WHITESPACE = /\s+/y;
const WORD = /[\p{L}_][\p{L}\p{N}_]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATOR = /[<>=!~]+/y;
const SINGLE_CHAR: Record<string, TokenKind> = {
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  '.': 'dot',
  '-': 'punct',
  '/': 'punct',
  ':': 'punct',
};

/** 1-based column for messages. */
export function describePosition(offset: number): string {
  return `position ${offset + 1}`;
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < input.length) {
    const skipped = matchAt(WHITESPACE, input, pos);
    if (skipped) {
      pos += skipped.length;
      continue;
    }
    const token = readToken(input, pos, tokens[tokens.length - 1]);
    tokens.push(token);
    pos = token.end;
  }
  tokens.push({ kind: 'eof', raw: '', value: '', start: input.length, end: input.length });
  return tokens;
}

function readToken(input: string, pos: number, previous: Token | undefined): Token {
  const ch = input.charAt(pos);
  if (ch === "'" || ch === '"') return readString(input, pos, ch);
  if (ch === '`') return readBacktick(input, pos);
  if (startsNumber(input, pos, previous)) return simple('number', matchAt(NUMBER, input, pos), pos);
  const word = matchAt(WORD, input, pos);
  if (word) return simple('word', word, pos);
  const op = matchAt(OPERATOR, input, pos);
  if (op) return simple('op', op, pos);
  const single = SINGLE_CHAR[ch];
  if (single) return simple(single, ch, pos);
  throw CairnError.invalidParameter(
    `Invalid filter string: unexpected character '${ch}' at ${describePosition(pos)}`,
  );
}

/** A '.' starts a number (".5") only where it cannot be a key separator ("metrics.5"). */
function startsNumber(input: string, pos: number, previous: Token | undefined): boolean {
  const ch = input.charAt(pos);
  if (ch >= '0' && ch <= '9') return true;
  if (ch !== '.' || !/\d/.test(input.charAt(pos + 1))) return false;
  return !previous || previous.end !== pos || !['word', 'number', 'backtick', 'string'].includes(previous.kind);
}

function simple(kind: TokenKind, raw: string | null, start: number): Token {
  const text = raw ?? '';
  return { kind, raw: text, value: text, start, end: start + text.length };
}

function matchAt(pattern: RegExp, input: string, pos: number): string | null {
  pattern.lastIndex = pos;
  const match = pattern.exec(input);
  return match ? match[0] : null;
}

function readString(input: string, start: number, quote: string): Token {
  let value = '';
  let pos = start + 1;
  while (pos < input.length) {
    const ch = input.charAt(pos);
    const next = input.charAt(pos + 1);
    if (ch === '\\' && (next === quote || next === '\\')) {
      value += next === quote ? quote : '\\\\';
      pos += 2;
    } else if (ch === quote && next === quote) {
      value += quote;
      pos += 2;
    } else if (ch === quote) {
      return { kind: 'string', raw: input.slice(start, pos + 1), value, start, end: pos + 1 };
    } else {
      value += ch;
      pos += 1;
    }
  }
  throw CairnError.invalidParameter(
    `Invalid filter string: unterminated string starting at ${describePosition(start)}: ${input.slice(start)}`,
  );
}

function readBacktick(input: string, start: number): Token {
  const close = input.indexOf('`', start + 1);
  if (close < 0) {
    throw CairnError.invalidParameter(
      `Invalid filter string: unterminated backtick-quoted name starting at ${describePosition(start)}: ${input.slice(start)}`,
    );
  }
  return {
    kind: 'backtick',
    raw: input.slice(start, close + 1),
    value: input.slice(start + 1, close),
    start,
    end: close + 1,
  };
}
