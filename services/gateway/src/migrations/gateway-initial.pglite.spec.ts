import { PGlite } from '@electric-sql/pglite';
import { DataSource } from 'typeorm';
import { sharedPGliteDriver } from '@cairn/persistence';
import { GatewayInitial1764600000000 } from './1764600000000-gateway-initial';

describe('gateway schema (PGlite)', () => {
  let db: PGlite;
  let ds: DataSource;

  beforeAll(async () => {
    db = await PGlite.create('memory://');
    ds = new DataSource({ type: 'postgres', driver: sharedPGliteDriver(db), entities: [] });
    await ds.initialize();
    await ds.query('CREATE SCHEMA gateway');
    const runner = ds.createQueryRunner();
    await new GatewayInitial1764600000000().up(runner);
    await runner.release();
  });

  afterAll(async () => {
    await ds.destroy();
    await db.close();
  });

  it('keeps the audit log append-only: no UPDATE, DELETE or TRUNCATE', async () => {
    await ds.query(
      `INSERT INTO gateway.audit_log (at, username, auth_method, method, route, status) VALUES (now(), 'a', 'basic', 'POST', '/x', 200)`,
    );
    await expect(ds.query(`UPDATE gateway.audit_log SET username = 'b'`)).rejects.toThrow(/append-only/);
    await expect(ds.query('DELETE FROM gateway.audit_log')).rejects.toThrow(/append-only/);
    await expect(ds.query('TRUNCATE gateway.audit_log')).rejects.toThrow(/append-only/);
    expect(await ds.query('SELECT username FROM gateway.audit_log')).toEqual([{ username: 'a' }]);
  });

  it('claims due deliveries with FOR UPDATE SKIP LOCKED and migrates down cleanly', async () => {
    await ds.query(
      `INSERT INTO gateway.webhooks (id, api, url, events, status, creator, created_at, updated_at)
       VALUES ('w', 'mlflow', 'http://example.com', '[]', 'ACTIVE', 'a', now(), now())`,
    );
    await ds.query(
      `INSERT INTO gateway.webhook_deliveries (id, webhook_id, event_id, event_type, body, status, attempt_limit, next_attempt_at, created_at)
       VALUES ('00000000-0000-4000-8000-000000000001', 'w', 'e', 't', '{}', 'pending', 3, now(), now())`,
    );
    const [claimed] = await ds.query<[{ id: string }[], number]>(
      `UPDATE gateway.webhook_deliveries d SET next_attempt_at = now() + interval '1 minute'
       WHERE d.id IN (SELECT id FROM gateway.webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED)
       RETURNING d.id`,
    );
    expect(claimed.map((r) => r.id)).toEqual(['00000000-0000-4000-8000-000000000001']);
    const runner = ds.createQueryRunner();
    await new GatewayInitial1764600000000().down(runner);
    await runner.release();
    expect(await ds.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'gateway'`)).toEqual([{ n: 0 }]);
  });
});
