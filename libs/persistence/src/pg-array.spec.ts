import { PGlite } from '@electric-sql/pglite';
import { isUniqueViolation } from './errors';
import { pgBoolArray, pgNumberArray, pgTextArray } from './pg-array';

describe('PostgreSQL array literals', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(() => db.close());

  it('round-trips awkward text exactly, NULL included', async () => {
    const values = ['plain', '', 'NULL', 'null', 'with space', ' lead', 'a,b', '{x}', 'q"uote', 'back\\slash', '\\"', 'ünï ☃', 'tab\tnl\n', null];
    const { rows } = await db.query<{ v: string | null; n: number }>(
      'SELECT v, n::int FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n',
      [pgTextArray(values)],
    );
    expect(rows.map((r) => r.v)).toEqual(values);
  });

  it('round-trips doubles bit for bit, NaN and infinities included', async () => {
    const values = [0, -0.5, 0.1 + 0.2, Math.PI, 5e-324, Number.MAX_VALUE, -1.7976931348623157e308, 1e21, NaN, Infinity, -Infinity];
    const { rows } = await db.query<{ v: number }>('SELECT v FROM unnest($1::float8[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [
      pgNumberArray(values),
    ]);
    expect(rows.map((r) => r.v)).toEqual(values);
  });

  it('carries int64 values that JavaScript holds exactly', async () => {
    const values = [0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1764201600000];
    const { rows } = await db.query<{ v: string }>('SELECT v::text FROM unnest($1::bigint[]) WITH ORDINALITY AS u(v, n) ORDER BY n', [
      pgNumberArray(values),
    ]);
    expect(rows.map((r) => Number(r.v))).toEqual(values);
  });

  it('carries booleans and empty arrays', async () => {
    const { rows } = await db.query<{ b: boolean[]; e: string[] }>('SELECT $1::bool[] AS b, $2::text[] AS e', [
      pgBoolArray([true, false, false, true]),
      pgTextArray([]),
    ]);
    expect(rows[0]).toEqual({ b: [true, false, false, true], e: [] });
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
