import { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOutboxTablesSql, outboxTablesSql } from '@cairn/events';

/**
 * The gateway's own schema: users, groups, API tokens (hashed), permissions
 * (one model behind MLflow's auth-app API and the managed registry's
 * permission API), the append-only audit log, webhook subscriptions (secrets
 * encrypted at rest), their durable deliveries and each delivery attempt, and
 * the consumed-events table of its event consumer.
 */
export class GatewayInitial1764600000000 implements MigrationInterface {
  name = 'GatewayInitial1764600000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE gateway.users (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         username text NOT NULL UNIQUE,
         password_hash text,
         is_admin boolean NOT NULL DEFAULT false,
         created_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE gateway.groups (
         name text PRIMARY KEY,
         description text,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE gateway.group_members (
         group_name text NOT NULL REFERENCES gateway.groups (name) ON DELETE CASCADE,
         username text NOT NULL REFERENCES gateway.users (username) ON DELETE CASCADE,
         PRIMARY KEY (group_name, username)
       )`,
      `CREATE INDEX group_members_user ON gateway.group_members (username)`,
      `CREATE TABLE gateway.api_tokens (
         id uuid PRIMARY KEY,
         username text NOT NULL REFERENCES gateway.users (username) ON DELETE CASCADE,
         token_hash text NOT NULL UNIQUE,
         token_prefix text NOT NULL,
         description text,
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz,
         last_used_at timestamptz,
         revoked_at timestamptz
       )`,
      `CREATE INDEX api_tokens_user ON gateway.api_tokens (username)`,
      `CREATE TABLE gateway.permissions (
         resource_type text NOT NULL CHECK (resource_type IN ('experiment', 'registered_model')),
         resource_id text NOT NULL,
         principal_type text NOT NULL CHECK (principal_type IN ('user', 'group')),
         principal text NOT NULL,
         level text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (resource_type, resource_id, principal_type, principal)
       )`,
      `CREATE INDEX permissions_principal ON gateway.permissions (principal_type, principal)`,
      `CREATE TABLE gateway.audit_log (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         at timestamptz NOT NULL,
         username text NOT NULL,
         auth_method text NOT NULL,
         method text NOT NULL,
         route text NOT NULL,
         target text,
         source_address text,
         request_id text,
         status integer NOT NULL
       )`,
      `CREATE INDEX audit_log_at ON gateway.audit_log (at)`,
      `CREATE INDEX audit_log_user ON gateway.audit_log (username, id)`,
      // Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
      `CREATE FUNCTION gateway.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'gateway.audit_log is append-only';
       END $$`,
      `CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON gateway.audit_log
         FOR EACH ROW EXECUTE FUNCTION gateway.audit_log_append_only()`,
      `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON gateway.audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION gateway.audit_log_append_only()`,
      `CREATE TABLE gateway.webhooks (
         id text PRIMARY KEY,
         api text NOT NULL CHECK (api IN ('mlflow', 'registry')),
         name text,
         description text,
         url text NOT NULL,
         events jsonb NOT NULL,
         model_name text,
         status text NOT NULL CHECK (status IN ('ACTIVE', 'DISABLED', 'TEST_MODE')),
         secret_enc text,
         authorization_enc text,
         enable_ssl_verification boolean NOT NULL DEFAULT true,
         creator text NOT NULL,
         created_at timestamptz NOT NULL,
         updated_at timestamptz NOT NULL
       )`,
      `CREATE INDEX webhooks_api ON gateway.webhooks (api, created_at)`,
      `CREATE TABLE gateway.webhook_deliveries (
         id uuid PRIMARY KEY,
         webhook_id text NOT NULL REFERENCES gateway.webhooks (id) ON DELETE CASCADE,
         event_id text,
         event_type text NOT NULL,
         body text NOT NULL,
         status text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
         attempts integer NOT NULL DEFAULT 0,
         attempt_limit integer NOT NULL,
         next_attempt_at timestamptz,
         lease_token uuid,
         created_at timestamptz NOT NULL,
         delivered_at timestamptz,
         last_status integer,
         last_error text,
         UNIQUE (webhook_id, event_id)
       )`,
      `CREATE INDEX webhook_deliveries_due ON gateway.webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
      `CREATE INDEX webhook_deliveries_webhook ON gateway.webhook_deliveries (webhook_id, created_at DESC)`,
      `CREATE TABLE gateway.webhook_delivery_attempts (
         delivery_id uuid NOT NULL REFERENCES gateway.webhook_deliveries (id) ON DELETE CASCADE,
         attempt integer NOT NULL,
         started_at timestamptz NOT NULL,
         status_code integer,
         latency_ms integer NOT NULL,
         error text,
         response_snippet text,
         PRIMARY KEY (delivery_id, attempt)
       )`,
      ...outboxTablesSql('gateway'),
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxTablesSql('gateway')) await q.query(sql);
    for (const table of [
      'webhook_delivery_attempts',
      'webhook_deliveries',
      'webhooks',
      'audit_log',
      'permissions',
      'api_tokens',
      'group_members',
      'groups',
      'users',
    ]) {
      await q.query(`DROP TABLE gateway.${table}`);
    }
    await q.query('DROP FUNCTION gateway.audit_log_append_only()');
  }
}
