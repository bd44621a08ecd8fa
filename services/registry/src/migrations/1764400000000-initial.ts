import { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOutboxTablesSql, outboxTablesSql } from '@cairn/events';

/**
 * The registry schema.
 *  - Registered models carry a surrogate bigint key: versions, tags, aliases
 *    and activities reference it, so a rename touches one row, and the model
 *    row is the lock every write of that model takes (SELECT ... FOR UPDATE):
 *    version numbers (`last_version`) and stage transitions serialise on it.
 *  - Tag values may reach 100,000 characters, more than a b-tree entry holds:
 *    each tag row keeps a generated `value_prefix` (left(value, 200)), indexed
 *    as (key, value_prefix, owner) and carried in the primary key (INCLUDE).
 *    Equality on a value shorter than the prefix is then answered by
 *    index-only scans: the (key, value_prefix) range drives, the other tag
 *    conditions probe the primary key; longer values also compare `value`.
 *  - Activities hold the governance history of a version: transition requests
 *    (REQUESTED_TRANSITION with a request_state), approvals, rejections,
 *    cancellations, applied and system transitions, comments (NEW_COMMENT).
 */
export class RegistryInitial1764400000000 implements MigrationInterface {
  name = 'RegistryInitial1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const stages = `('None', 'Staging', 'Production', 'Archived')`;
    const statements = [
      `CREATE TABLE registry.registered_models (
         model_key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         name text NOT NULL,
         description text,
         user_id text,
         creation_time bigint NOT NULL,
         last_updated_time bigint NOT NULL,
         last_version integer NOT NULL DEFAULT 0,
         CONSTRAINT registered_models_name_key UNIQUE (name)
       )`,
      // LIKE 'prefix%' on names (the unique index uses the database collation).
      `CREATE INDEX registered_models_name_pattern ON registry.registered_models (name text_pattern_ops)`,
      `CREATE INDEX registered_models_updated ON registry.registered_models (last_updated_time DESC, name)`,
      `CREATE TABLE registry.registered_model_tags (
         model_key bigint NOT NULL REFERENCES registry.registered_models (model_key) ON DELETE CASCADE,
         key text NOT NULL,
         value text NOT NULL,
         value_prefix text GENERATED ALWAYS AS (left(value, 200)) STORED,
         PRIMARY KEY (model_key, key) INCLUDE (value_prefix)
       )`,
      `CREATE INDEX registered_model_tags_key_value ON registry.registered_model_tags (key, value_prefix, model_key)`,
      // Keys and values are correlated (team=team-7 ...): without these, tag filters are underestimated.
      `CREATE STATISTICS registry.registered_model_tags_key_prefix (mcv, dependencies)
         ON key, value_prefix FROM registry.registered_model_tags`,

      `CREATE TABLE registry.model_versions (
         model_key bigint NOT NULL REFERENCES registry.registered_models (model_key) ON DELETE CASCADE,
         version integer NOT NULL,
         creation_time bigint NOT NULL,
         last_updated_time bigint NOT NULL,
         description text,
         user_id text,
         current_stage text NOT NULL DEFAULT 'None' CHECK (current_stage IN ${stages}),
         source text NOT NULL,
         storage_location text,
         run_id text,
         run_link text,
         model_id text,
         status text NOT NULL CHECK (status IN ('PENDING_REGISTRATION', 'READY', 'FAILED_REGISTRATION')),
         status_message text,
         PRIMARY KEY (model_key, version)
       )`,
      // Latest version per stage (latest_versions, get-latest-versions, archive_existing_versions).
      `CREATE INDEX model_versions_stage ON registry.model_versions (model_key, current_stage, version DESC)`,
      `CREATE INDEX model_versions_updated ON registry.model_versions (last_updated_time DESC, model_key, version DESC)`,
      `CREATE INDEX model_versions_run ON registry.model_versions (run_id)`,
      `CREATE INDEX model_versions_pending ON registry.model_versions (creation_time)
         WHERE status = 'PENDING_REGISTRATION'`,
      `CREATE TABLE registry.model_version_tags (
         model_key bigint NOT NULL,
         version integer NOT NULL,
         key text NOT NULL,
         value text NOT NULL,
         value_prefix text GENERATED ALWAYS AS (left(value, 200)) STORED,
         PRIMARY KEY (model_key, version, key) INCLUDE (value_prefix),
         FOREIGN KEY (model_key, version) REFERENCES registry.model_versions (model_key, version) ON DELETE CASCADE
       )`,
      `CREATE INDEX model_version_tags_key_value ON registry.model_version_tags (key, value_prefix, model_key, version)`,
      `CREATE STATISTICS registry.model_version_tags_key_prefix (mcv, dependencies)
         ON key, value_prefix FROM registry.model_version_tags`,
      `CREATE TABLE registry.registered_model_aliases (
         model_key bigint NOT NULL,
         alias text NOT NULL,
         version integer NOT NULL,
         PRIMARY KEY (model_key, alias),
         FOREIGN KEY (model_key, version) REFERENCES registry.model_versions (model_key, version) ON DELETE CASCADE
       )`,

      `CREATE TABLE registry.activities (
         id text PRIMARY KEY,
         seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
         model_key bigint NOT NULL,
         version integer NOT NULL,
         activity_type text NOT NULL CHECK (activity_type IN ('APPLIED_TRANSITION', 'REQUESTED_TRANSITION',
           'CANCELLED_REQUEST', 'APPROVED_REQUEST', 'REJECTED_REQUEST', 'NEW_COMMENT', 'SYSTEM_TRANSITION')),
         user_id text NOT NULL,
         from_stage text CHECK (from_stage IN ${stages}),
         to_stage text CHECK (to_stage IN ${stages}),
         comment text,
         system_comment text,
         request_state text CHECK (request_state IN ('OPEN', 'APPROVED', 'REJECTED', 'CANCELLED')),
         creation_time bigint NOT NULL,
         last_updated_time bigint NOT NULL,
         FOREIGN KEY (model_key, version) REFERENCES registry.model_versions (model_key, version) ON DELETE CASCADE,
         CHECK ((activity_type = 'REQUESTED_TRANSITION') = (request_state IS NOT NULL))
       )`,
      `CREATE INDEX activities_version ON registry.activities (model_key, version, seq)`,
      // One open request per (version, target stage, creator): cancel names it by those.
      `CREATE UNIQUE INDEX activities_open_request ON registry.activities (model_key, version, to_stage, user_id)
         WHERE request_state = 'OPEN'`,
      ...outboxTablesSql('registry'),
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const statements = [
      ...dropOutboxTablesSql('registry'),
      'DROP TABLE registry.activities',
      'DROP TABLE registry.registered_model_aliases',
      'DROP TABLE registry.model_version_tags',
      'DROP TABLE registry.model_versions',
      'DROP TABLE registry.registered_model_tags',
      'DROP TABLE registry.registered_models',
    ];
    for (const sql of statements) await q.query(sql);
  }
}
