import { canonicalJson, decodePageToken, encodePageToken } from './page-token';
import { expectInvalid } from './search-test-helpers';

const shape = { experimentIds: [1, 2], filter: "metrics.acc > 0.9", orderBy: ['metrics.acc DESC'], view: 'ACTIVE_ONLY' };

describe('page tokens', () => {
  it('round-trips an offset for the same query shape', () => {
    for (const offset of [0, 1, 1000, 49_999, 2 ** 40]) {
      expect(decodePageToken(encodePageToken(offset, shape), shape)).toBe(offset);
    }
  });

  it('is url-safe base64 and opaque', () => {
    const token = encodePageToken(100, shape);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('metrics');
  });

  it('ignores key order within the shape', () => {
    const reordered = { view: 'ACTIVE_ONLY', orderBy: ['metrics.acc DESC'], filter: 'metrics.acc > 0.9', experimentIds: [1, 2] };
    expect(decodePageToken(encodePageToken(7, shape), reordered)).toBe(7);
  });

  it('treats an absent or empty token as the first page', () => {
    expect(decodePageToken(undefined, shape)).toBe(0);
    expect(decodePageToken(null, shape)).toBe(0);
    expect(decodePageToken('', shape)).toBe(0);
  });

  it('rejects a token used with another query shape', () => {
    const token = encodePageToken(50, shape);
    expectInvalid(() => decodePageToken(token, { ...shape, filter: 'metrics.acc > 0.8' }), 'Invalid page token');
    expectInvalid(() => decodePageToken(token, { ...shape, experimentIds: [2, 1] }), 'Invalid page token');
    expectInvalid(() => decodePageToken(token, { ...shape, orderBy: [] }), 'Invalid page token');
    expectInvalid(() => decodePageToken(token, { ...shape, view: 'ALL' }), 'Invalid page token');
  });

  it('rejects tampered tokens', () => {
    const token = encodePageToken(50, shape);
    const forged = Buffer.from(
      JSON.stringify({ ...(JSON.parse(Buffer.from(token, 'base64url').toString()) as object), o: 5000 }),
    ).toString('base64url');
    expectInvalid(() => decodePageToken(forged, shape), 'Invalid page token');
    const flipped = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
    expectInvalid(() => decodePageToken(flipped, shape), 'Invalid page token');
  });

  it('rejects garbage', () => {
    for (const garbage of ['not a token', '!!!!', 'eyJvIjoxfQ', Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"o":-1,"c":"x"}').toString('base64url'), Buffer.from('{"o":1.5,"c":"x"}').toString('base64url')]) {
      expectInvalid(() => decodePageToken(garbage, shape), 'Invalid page token');
    }
  });

  it('refuses to encode a bad offset', () => {
    expect(() => encodePageToken(-1, shape)).toThrow('Cannot encode a page token');
  });

  it('canonicalises JSON with sorted keys and dropped undefined members', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: undefined, c: null }] })).toBe('{"a":[3,{"c":null}],"b":1}');
  });
});
