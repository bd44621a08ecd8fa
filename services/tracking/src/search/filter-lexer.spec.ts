import { tokenize } from './filter-lexer';
import { expectInvalid } from './search-test-helpers';

const kinds = (input: string): string[] => tokenize(input).map((t) => t.kind);
const values = (input: string): string[] => tokenize(input).map((t) => t.value);

describe('tokenize', () => {
  it('splits a comparison into word, dot, op, number and eof tokens with offsets', () => {
    const tokens = tokenize('metrics.acc >= 0.9');
    expect(tokens.map((t) => [t.kind, t.raw, t.start, t.end])).toEqual([
      ['word', 'metrics', 0, 7],
      ['dot', '.', 7, 8],
      ['word', 'acc', 8, 11],
      ['op', '>=', 12, 14],
      ['number', '0.9', 15, 18],
      ['eof', '', 18, 18],
    ]);
  });

  it('reads every operator run as one op token', () => {
    expect(values('a = b != c <> d == e <= f >= g < h > i')).toEqual([
      'a', '=', 'b', '!=', 'c', '<>', 'd', '==', 'e', '<=', 'f', '>=', 'g', '<', 'h', '>', 'i', '',
    ]);
  });

  it('reads numbers: integers, decimals, leading/trailing dot, exponents', () => {
    for (const n of ['0', '42', '3.14', '2.', '1e5', '1E-3', '6.02e+23']) {
      expect(tokenize(n).map((t) => [t.kind, t.raw])).toEqual([['number', n], ['eof', '']]);
    }
    expect(tokenize('x > .5').map((t) => t.kind)).toEqual(['word', 'op', 'number', 'eof']);
  });

  it('keeps "-" as punctuation so the parser can build negatives and keys with dashes', () => {
    expect(kinds('-5')).toEqual(['punct', 'number', 'eof']);
    expect(kinds('tags.a-b')).toEqual(['word', 'dot', 'word', 'punct', 'word', 'eof']);
  });

  it('does not read ".5" as a number right after a word (key separator)', () => {
    expect(kinds('metrics.5')).toEqual(['word', 'dot', 'number', 'eof']);
    expect(tokenize('metrics.5')[2]!.raw).toBe('5');
  });

  it('decodes single- and double-quoted strings with doubled or backslash-escaped quotes', () => {
    expect(tokenize(`'it''s'`)[0]!).toMatchObject({ kind: 'string', value: "it's", raw: `'it''s'` });
    expect(tokenize(`'it\\'s'`)[0]!.value).toBe("it's");
    expect(tokenize(`"say ""hi"""`)[0]!.value).toBe('say "hi"');
    expect(tokenize(`"a\\"b"`)[0]!.value).toBe('a"b');
    expect(tokenize(`"it's"`)[0]!.value).toBe("it's");
    expect(tokenize(`''`)[0]!.value).toBe('');
  });

  it('keeps "\\\\" verbatim so LIKE escapes survive', () => {
    expect(tokenize(`'a\\\\_b'`)[0]!.value).toBe('a\\\\_b');
    expect(tokenize(`'100\\%'`)[0]!.value).toBe('100\\%');
  });

  it('reads backtick-quoted names without escapes', () => {
    expect(tokenize('`my metric`')[0]!).toMatchObject({ kind: 'backtick', value: 'my metric' });
  });

  it('reads unicode words and punctuation', () => {
    expect(values('tags.équipe')).toEqual(['tags', '.', 'équipe', '']);
    expect(kinds("(',')")).toEqual(['lparen', 'string', 'rparen', 'eof']);
    expect(kinds('a/b:c')).toEqual(['word', 'punct', 'word', 'punct', 'word', 'eof']);
  });

  it('rejects unterminated strings and backticks with their position', () => {
    expectInvalid(() => tokenize("tags.a = 'abc"), "unterminated string starting at position 10: 'abc");
    expectInvalid(() => tokenize('tags.a = "abc'), 'unterminated string starting at position 10');
    expectInvalid(() => tokenize("tags.a = 'it''"), 'unterminated string');
    expectInvalid(() => tokenize('metrics.`abc > 1'), 'unterminated backtick-quoted name starting at position 9');
  });

  it('rejects unknown characters with their position', () => {
    expectInvalid(() => tokenize('metrics.a > 1 # x'), "unexpected character '#' at position 15");
    expectInvalid(() => tokenize('tags.a = $x'), "unexpected character '$'");
  });

  it('returns only eof for blank input', () => {
    expect(kinds('   \n\t')).toEqual(['eof']);
  });
});
