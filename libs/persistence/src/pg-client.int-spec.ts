import { DatabaseError, Query, QueryResult } from 'pg';
import { QueryFailedError } from 'typeorm';
import { createTestDatabase } from '@cairn/testing';
import { createDataSource } from './data-source';
import { CallbackModeClient, MAX_PREPARED_SHAPES, namedStatement, preparedStatement } from './pg-client';

describe('CallbackModeClient on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: CallbackModeClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new CallbackModeClient({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('answers a query without a callback with pg’s result (rows, parsed types, row count, command)', async () => {
    const result = (await client.query("SELECT g AS n, json_build_object('k', g) AS j FROM generate_series(1, $1::int) g", [
      3,
    ])) as QueryResult<{ n: number; j: { k: number } }>;
    expect(result.command).toBe('SELECT');
    expect(result.rowCount).toBe(3);
    expect(result.rows).toEqual([
      { n: 1, j: { k: 1 } },
      { n: 2, j: { k: 2 } },
      { n: 3, j: { k: 3 } },
    ]);
  });

  it('rejects with pg’s DatabaseError (SQLSTATE kept) and stays usable', async () => {
    const failed = client.query('SELECT * FROM no_such_table');
    await expect(failed).rejects.toBeInstanceOf(DatabaseError);
    await expect(client.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    expect(((await client.query('SELECT 1 AS one')) as QueryResult).rows).toEqual([{ one: 1 }]);
  });

  it('prepares a registered statement once per connection and runs it by name', async () => {
    const sql = namedStatement('test_named_double', 'SELECT $1::int * 2 AS doubled');
    expect(() => namedStatement('test_named_double', 'SELECT 1')).toThrow(/already used/);
    const run = async (n: number) => ((await client.query(sql, [n])) as QueryResult<{ doubled: number }>).rows;
    expect(await run(2)).toEqual([{ doubled: 4 }]);
    expect(await run(5)).toEqual([{ doubled: 10 }]);
    const prepared = (await client.query('SELECT name, statement FROM pg_prepared_statements')) as QueryResult<{ name: string; statement: string }>;
    expect(prepared.rows).toEqual([{ name: 'test_named_double', statement: sql }]);
  });

  it('prepares the first MAX_PREPARED_SHAPES run-time texts by name and runs later ones unnamed', async () => {
    const prepared = async () =>
      ((await client.query("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'cairn\\_shape\\_%'")) as QueryResult<{
        statement: string;
      }>).rows.map((r) => r.statement);
    const shape = (i: number) => `SELECT $1::int + ${i} AS n`;
    const run = async (sql: string, n: number) => ((await client.query(sql, [n])) as QueryResult<{ n: number }>).rows[0]?.n;
    expect(preparedStatement(shape(0))).toBe(shape(0));
    expect(await run(preparedStatement(shape(0)), 1)).toBe(1);
    expect(await run(preparedStatement(shape(0)), 2)).toBe(2); // same text, same statement, new value
    expect(await prepared()).toEqual([shape(0)]);
    for (let i = 1; i <= MAX_PREPARED_SHAPES; i++) expect(await run(preparedStatement(shape(i)), 1)).toBe(1 + i);
    const names = await prepared();
    expect(names).toHaveLength(MAX_PREPARED_SHAPES);
    expect(names).not.toContain(shape(MAX_PREPARED_SHAPES)); // over the bound: unnamed, still answered
  });

  it('leaves callback calls and submittables to pg', async () => {
    const viaCallback = await new Promise<QueryResult>((resolve, reject) => {
      const done = (err: Error | null, res: QueryResult): void => (err ? reject(err) : resolve(res));
      client.query('SELECT $1::text AS v', ['x'], done);
    });
    expect(viaCallback.rows).toEqual([{ v: 'x' }]);
    const submitted = client.query(new Query('SELECT 2 AS two'));
    expect(submitted).toBeInstanceOf(Query);
    const rows: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      submitted.on('row', (row: unknown) => rows.push(row));
      submitted.on('end', () => resolve());
      submitted.on('error', reject);
    });
    expect(rows).toEqual([{ two: 2 }]);
  });

  it('is the client of every service DataSource on PostgreSQL (TypeORM errors unchanged)', async () => {
    const ds = await createDataSource(
      { kind: 'postgres', url: db.url, poolSize: 2 },
      { schema: 'public', entities: [], migrations: [], applicationName: 'test' },
    );
    try {
      const runner = ds.createQueryRunner();
      try {
        const connection = (await runner.connect()) as unknown;
        expect(connection).toBeInstanceOf(CallbackModeClient);
      } finally {
        await runner.release();
      }
      await expect(ds.query('SELECT $1::int + 1 AS v', [41])).resolves.toEqual([{ v: 42 }]);
      const error: unknown = await ds.query('SELECT 1/0').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueryFailedError);
      expect((error as QueryFailedError & { driverError: DatabaseError }).driverError.code).toBe('22012');
    } finally {
      await ds.destroy();
    }
  });
});
