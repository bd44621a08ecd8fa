import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedStatement } from '@cairn/persistence';
import { ModelVersionEntity, ModelVersionTagEntity, Stage, VersionStatus } from '../entities/model-version.entity';
import { SearchQuery, VERSION_COLUMNS } from '../search/search-sql';

export interface NewModelVersion {
  modelKey: number;
  version: number;
  now: number;
  description: string | null;
  userId: string;
  source: string;
  storageLocation: string | null;
  runId: string | null;
  runLink: string | null;
  modelId: string | null;
  status: VersionStatus;
  statusMessage: string | null;
  tags: { key: string; value: string }[];
}

const FROM_VERSIONS = 'FROM registry.model_versions v JOIN registry.registered_models m ON m.model_key = v.model_key';

/** registry.model_versions and their tags. All SQL of versions lives here. */
@Injectable()
export class ModelVersionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async find(modelKey: number, version: number, manager?: EntityManager): Promise<ModelVersionEntity | null> {
    const [row] = await this.m(manager).query<ModelVersionEntity[]>(
      `SELECT ${VERSION_COLUMNS} ${FROM_VERSIONS} WHERE v.model_key = $1 AND v.version = $2`,
      [modelKey, version],
    );
    return row ?? null;
  }

  async findByName(name: string, version: number, manager?: EntityManager): Promise<ModelVersionEntity | null> {
    const [row] = await this.m(manager).query<ModelVersionEntity[]>(
      `SELECT ${VERSION_COLUMNS} ${FROM_VERSIONS} WHERE m.name = $1 AND v.version = $2`,
      [name, version],
    );
    return row ?? null;
  }

  async insert(manager: EntityManager, input: NewModelVersion): Promise<void> {
    await manager.query(
      `INSERT INTO registry.model_versions
         (model_key, version, creation_time, last_updated_time, description, user_id, current_stage, source,
          storage_location, run_id, run_link, model_id, status, status_message)
       VALUES ($1, $2, $3, $3, $4, $5, 'None', $6, $7, $8, $9, $10, $11, $12)`,
      [
        input.modelKey,
        input.version,
        input.now,
        input.description,
        input.userId,
        input.source,
        input.storageLocation,
        input.runId,
        input.runLink,
        input.modelId,
        input.status,
        input.statusMessage,
      ],
    );
    if (input.tags.length > 0) {
      await manager.query(
        `INSERT INTO registry.model_version_tags (model_key, version, key, value)
         SELECT $1, $2, k, v FROM unnest($3::text[], $4::text[]) AS t(k, v)`,
        [input.modelKey, input.version, input.tags.map((t) => t.key), input.tags.map((t) => t.value)],
      );
    }
  }

  /** The latest version in each stage of each model (latest_versions). */
  async latestPerStage(modelKeys: readonly number[], manager?: EntityManager): Promise<ModelVersionEntity[]> {
    if (modelKeys.length === 0) return [];
    return this.m(manager).query<ModelVersionEntity[]>(
      `SELECT ${VERSION_COLUMNS}
         FROM (SELECT DISTINCT ON (model_key, current_stage) model_key, version
                 FROM registry.model_versions
                WHERE model_key = ANY($1::bigint[])
                ORDER BY model_key, current_stage, version DESC) latest
         JOIN registry.model_versions v ON v.model_key = latest.model_key AND v.version = latest.version
         JOIN registry.registered_models m ON m.model_key = v.model_key
        ORDER BY v.model_key, v.version`,
      [modelKeys],
    );
  }

  async maxVersion(modelKey: number, manager?: EntityManager): Promise<number | null> {
    const [row] = await this.m(manager).query<{ version: number | null }[]>(
      `SELECT max(version) AS version FROM registry.model_versions WHERE model_key = $1`,
      [modelKey],
    );
    return row?.version === null || row?.version === undefined ? null : Number(row.version);
  }

  async tagsOf(
    versions: readonly { model_key: number; version: number }[],
    manager?: EntityManager,
  ): Promise<ModelVersionTagEntity[]> {
    if (versions.length === 0) return [];
    return this.m(manager).query<ModelVersionTagEntity[]>(
      `SELECT t.model_key, t.version, t.key, t.value
         FROM registry.model_version_tags t
         JOIN unnest($1::bigint[], $2::integer[]) AS w(model_key, version)
           ON t.model_key = w.model_key AND t.version = w.version
        ORDER BY t.key`,
      [versions.map((v) => v.model_key), versions.map((v) => v.version)],
    );
  }

  async setStage(manager: EntityManager, modelKey: number, version: number, stage: Stage, now: number): Promise<void> {
    await manager.query(
      `UPDATE registry.model_versions SET current_stage = $3, last_updated_time = $4 WHERE model_key = $1 AND version = $2`,
      [modelKey, version, stage, now],
    );
  }

  /** Moves every other version in `stage` to Archived; returns those versions. */
  async archiveOthers(
    manager: EntityManager,
    modelKey: number,
    version: number,
    stage: Stage,
    now: number,
  ): Promise<number[]> {
    const [rows] = await manager.query<[{ version: number }[], number]>(
      `UPDATE registry.model_versions SET current_stage = 'Archived', last_updated_time = $4
        WHERE model_key = $1 AND version <> $2 AND current_stage = $3
        RETURNING version`,
      [modelKey, version, stage, now],
    );
    return rows.map((r) => Number(r.version)).sort((a, b) => a - b);
  }

  async setDescription(
    manager: EntityManager,
    modelKey: number,
    version: number,
    description: string | null,
    now: number,
  ): Promise<void> {
    await manager.query(
      `UPDATE registry.model_versions SET description = $3, last_updated_time = $4 WHERE model_key = $1 AND version = $2`,
      [modelKey, version, description, now],
    );
  }

  /** Versions of a model touched by a rename keep MLflow's behaviour: their update time moves. */
  async touchAll(manager: EntityManager, modelKey: number, now: number): Promise<void> {
    await manager.query(`UPDATE registry.model_versions SET last_updated_time = $2 WHERE model_key = $1`, [modelKey, now]);
  }

  /** Settles a pending registration; false when it was no longer pending. */
  async settleStatus(
    manager: EntityManager,
    modelKey: number,
    version: number,
    status: VersionStatus,
    message: string | null,
    now: number,
  ): Promise<boolean> {
    const [, affected] = await manager.query<[unknown[], number]>(
      `UPDATE registry.model_versions SET status = $3, status_message = $4, last_updated_time = $5
        WHERE model_key = $1 AND version = $2 AND status = 'PENDING_REGISTRATION'`,
      [modelKey, version, status, message, now],
    );
    return affected > 0;
  }

  async delete(manager: EntityManager, modelKey: number, version: number): Promise<void> {
    await manager.query(`DELETE FROM registry.model_versions WHERE model_key = $1 AND version = $2`, [modelKey, version]);
  }

  async setTag(manager: EntityManager, modelKey: number, version: number, key: string, value: string): Promise<void> {
    await manager.query(
      `INSERT INTO registry.model_version_tags (model_key, version, key, value) VALUES ($1, $2, $3, $4)
       ON CONFLICT (model_key, version, key) DO UPDATE SET value = EXCLUDED.value`,
      [modelKey, version, key, value],
    );
  }

  async deleteTag(manager: EntityManager, modelKey: number, version: number, key: string): Promise<boolean> {
    const [, affected] = await manager.query<[unknown[], number]>(
      `DELETE FROM registry.model_version_tags WHERE model_key = $1 AND version = $2 AND key = $3`,
      [modelKey, version, key],
    );
    return affected > 0;
  }

  /** Registrations still pending that were created before `before` (oldest first). */
  async pending(before: number, limit: number): Promise<ModelVersionEntity[]> {
    return this.dataSource.query<ModelVersionEntity[]>(
      `SELECT ${VERSION_COLUMNS} ${FROM_VERSIONS}
        WHERE v.status = 'PENDING_REGISTRATION' AND v.creation_time < $1
        ORDER BY v.creation_time LIMIT $2`,
      [before, limit],
    );
  }

  /** One page of a search (compileVersionSearch): each version's element of MLflow's JSON, in order. */
  async search(query: SearchQuery): Promise<string[]> {
    return (await this.dataSource.query<{ element: string }[]>(preparedStatement(query.sql), query.params)).map((r) => r.element);
  }
}
