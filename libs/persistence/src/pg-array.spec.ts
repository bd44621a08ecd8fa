import { PGlite } from '@electric-sql/pglite';
import { isUniqueViolation } from './errors';
import { pgBoolArray, pgFloat8Array, pgInt8Array, pgTextArray } from './pg-array';

describe('PostgreSQL arrays as binary parameters', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(() => db.close());

  it('round-trips awkward text exactly, NULL included', async () => {
    const long = 'x'.repeat(70) + 'é';
    const values = ['plain', '', 'NULL', 'null', 'with space', ' lead', 'a,b', '{x}', 'q"uote', 'back\\slash', '\\"', 'ünï ☃', '𝔘 pair', 'tab\tnl\n', long, 'y'.repeat(200), null];
    const { rows } = await db.query<{ v: string | null; n: number }>(
      'SELECT v, n::int FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n',
      [pgTextArray(values)],
    );
    expect(rows.map((r) => r.v)).toEqual(values);
  });

  it('round-trips doubles bit for bit, NaN and infinities included', async () => {
    const values = [0, -0.5, 0.1 + 0.2, Math.PI, 5e-324, Number.MAX_VALUE, -1.7976931348623157e308, 1e21, NaN, Infinity, -Infinity];
    const { rows } = await db.query<{ v: number }>('SELECT v FROM unnest($1::float8[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [
      pgFloat8Array(values),
    ]);
    expect(rows.map((r) => r.v)).toEqual(values);
  });

  it('carries int64 values that JavaScript holds exactly', async () => {
    const values = [0, -1, 1, 4294967295, 4294967296, -4294967296, -4294967297, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1764201600000];
    const { rows } = await db.query<{ v: string }>('SELECT v::text FROM unnest($1::bigint[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [
      pgInt8Array(values),
    ]);
    expect(rows.map((r) => Number(r.v))).toEqual(values);
  });

  it('refuses what a bigint[] cannot hold exactly', () => {
    expect(() => pgInt8Array([1, 2 ** 53])).toThrow(RangeError);
    expect(() => pgInt8Array([1.5])).toThrow(RangeError);
    expect(() => pgInt8Array([NaN])).toThrow(RangeError);
  });

  it('is refused by a parameter of another element type, not converted', async () => {
    await expect(db.query('SELECT $1::int[] AS a', [pgInt8Array([1])])).rejects.toThrow(/element type 20 \(bigint\) instead of expected 23/);
  });

  it('carries booleans and empty arrays', async () => {
    const { rows } = await db.query<{ b: boolean[]; e: string[]; f: number[]; i: number[] }>(
      'SELECT $1::bool[] AS b, $2::text[] AS e, $3::float8[] AS f, $4::bigint[] AS i',
      [pgBoolArray([true, false, false, true]), pgTextArray([]), pgFloat8Array([]), pgInt8Array([])],
    );
    expect(rows[0]).toEqual({ b: [true, false, false, true], e: [], f: [], i: [] });
  });

  it('recognises a unique violation and nothing else', async () => {
    await db.exec('CREATE TEMP TABLE u (k int PRIMARY KEY)');
    await db.query('INSERT INTO u VALUES (1)');
    const duplicate = await db.query('INSERT INTO u VALUES (1)').catch((e: unknown) => e);
    const other = await db.query('INSERT INTO u VALUES (NULL)').catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isUniqueViolation({ driverError: duplicate })).toBe(true);
    expect(isUniqueViolation(other)).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
