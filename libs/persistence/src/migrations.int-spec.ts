import { MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase } from '@cairn/testing';
import { createDataSource, runMigrations } from './data-source';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT pg_sleep(0.3)');
    await q.query('CREATE TABLE lockcheck.widgets (id int PRIMARY KEY)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE lockcheck.widgets');
  }
}

describe('migrations on PostgreSQL', () => {
  it('run once when replicas start together (advisory lock), and never with synchronize', async () => {
    const db = await createTestDatabase();
    const config = { kind: 'postgres' as const, url: db.url, poolSize: 4 };
    const options = { schema: 'lockcheck', entities: [], migrations: [CreateWidgets1700000000000], applicationName: 'test' };
    const replicas = await Promise.all([1, 2, 3].map(() => createDataSource(config, options)));
    try {
      expect(replicas.every((r) => r.options.synchronize === false)).toBe(true);
      const applied = await Promise.all(replicas.map((r) => runMigrations(r, 'lockcheck', config)));
      expect(applied.flat()).toEqual(['CreateWidgets1700000000000']);
      const rows = await replicas[0]!.query<{ name: string }[]>('SELECT name FROM lockcheck.migrations');
      expect(rows.map((r) => r.name)).toEqual(['CreateWidgets1700000000000']);
    } finally {
      await Promise.all(replicas.map((r) => r.destroy()));
      await db.drop();
    }
  });
});
