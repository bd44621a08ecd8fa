import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedStatement } from '@cairn/persistence';
import { RegisteredModelAliasEntity, RegisteredModelEntity, RegisteredModelTagEntity } from '../entities/registered-model.entity';
import { MODEL_COLUMNS, SearchQuery } from '../search/search-sql';

export interface NewRegisteredModel {
  name: string;
  description: string | null;
  userId: string;
  tags: { key: string; value: string }[];
  now: number;
}

/** registry.registered_models, their tags and aliases. All SQL of models lives here. */
@Injectable()
export class RegisteredModelsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async findByName(name: string, manager?: EntityManager): Promise<RegisteredModelEntity | null> {
    const [row] = await this.m(manager).query<RegisteredModelEntity[]>(
      `SELECT ${MODEL_COLUMNS} FROM registry.registered_models m WHERE m.name = $1`,
      [name],
    );
    return row ?? null;
  }

  /**
   * The model row, locked until the transaction ends: every write of a model
   * (new versions, transitions, aliases, governance) serialises on it.
   */
  async lockByName(manager: EntityManager, name: string): Promise<RegisteredModelEntity | null> {
    const [row] = await manager.query<RegisteredModelEntity[]>(
      `SELECT ${MODEL_COLUMNS} FROM registry.registered_models m WHERE m.name = $1 FOR UPDATE`,
      [name],
    );
    return row ?? null;
  }

  async lockByKey(manager: EntityManager, modelKey: number): Promise<RegisteredModelEntity | null> {
    const [row] = await manager.query<RegisteredModelEntity[]>(
      `SELECT ${MODEL_COLUMNS} FROM registry.registered_models m WHERE m.model_key = $1 FOR UPDATE`,
      [modelKey],
    );
    return row ?? null;
  }

  /** Inserts the model and its tags; null when the name is taken (no error inside the transaction). */
  async insert(manager: EntityManager, input: NewRegisteredModel): Promise<RegisteredModelEntity | null> {
    const [row] = await manager.query<RegisteredModelEntity[]>(
      `INSERT INTO registry.registered_models (name, description, user_id, creation_time, last_updated_time)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (name) DO NOTHING
       RETURNING model_key, name, description, user_id, creation_time, last_updated_time, last_version`,
      [input.name, input.description, input.userId, input.now],
    );
    if (!row) return null;
    if (input.tags.length > 0) {
      await manager.query(
        `INSERT INTO registry.registered_model_tags (model_key, key, value)
         SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)`,
        [row.model_key, input.tags.map((t) => t.key), input.tags.map((t) => t.value)],
      );
    }
    return row;
  }

  async nameTaken(manager: EntityManager, name: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(`SELECT 1 FROM registry.registered_models WHERE name = $1`, [name]);
    return rows.length > 0;
  }

  async rename(manager: EntityManager, modelKey: number, newName: string, now: number): Promise<void> {
    await manager.query(`UPDATE registry.registered_models SET name = $2, last_updated_time = $3 WHERE model_key = $1`, [
      modelKey,
      newName,
      now,
    ]);
  }

  async setDescription(manager: EntityManager, modelKey: number, description: string | null, now: number): Promise<void> {
    await manager.query(
      `UPDATE registry.registered_models SET description = $2, last_updated_time = $3 WHERE model_key = $1`,
      [modelKey, description, now],
    );
  }

  async touch(manager: EntityManager, modelKey: number, now: number): Promise<void> {
    await manager.query(`UPDATE registry.registered_models SET last_updated_time = $2 WHERE model_key = $1`, [modelKey, now]);
  }

  /** Issues the next version number (the model row is locked by the UPDATE until commit). */
  async allocateVersion(manager: EntityManager, modelKey: number, now: number): Promise<number> {
    // TypeORM answers UPDATE ... RETURNING with [rows, affectedCount].
    const [rows] = await manager.query<[{ last_version: number }[], number]>(
      `UPDATE registry.registered_models SET last_version = last_version + 1, last_updated_time = $2
        WHERE model_key = $1 RETURNING last_version`,
      [modelKey, now],
    );
    const issued = rows[0]?.last_version;
    if (issued === undefined) throw new Error(`registered model ${modelKey} vanished while allocating a version`);
    return Number(issued);
  }

  async delete(manager: EntityManager, modelKey: number): Promise<void> {
    await manager.query(`DELETE FROM registry.registered_models WHERE model_key = $1`, [modelKey]);
  }

  async setTag(manager: EntityManager, modelKey: number, key: string, value: string): Promise<void> {
    await manager.query(
      `INSERT INTO registry.registered_model_tags (model_key, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (model_key, key) DO UPDATE SET value = EXCLUDED.value`,
      [modelKey, key, value],
    );
  }

  async deleteTag(manager: EntityManager, modelKey: number, key: string): Promise<boolean> {
    const [, affected] = await manager.query<[unknown[], number]>(
      `DELETE FROM registry.registered_model_tags WHERE model_key = $1 AND key = $2`,
      [modelKey, key],
    );
    return affected > 0;
  }

  async tagsOf(modelKeys: readonly number[], manager?: EntityManager): Promise<RegisteredModelTagEntity[]> {
    if (modelKeys.length === 0) return [];
    return this.m(manager).query<RegisteredModelTagEntity[]>(
      `SELECT model_key, key, value FROM registry.registered_model_tags WHERE model_key = ANY($1::bigint[]) ORDER BY key`,
      [modelKeys],
    );
  }

  async aliasesOf(modelKeys: readonly number[], manager?: EntityManager): Promise<RegisteredModelAliasEntity[]> {
    if (modelKeys.length === 0) return [];
    return this.m(manager).query<RegisteredModelAliasEntity[]>(
      `SELECT model_key, alias, version FROM registry.registered_model_aliases
        WHERE model_key = ANY($1::bigint[]) ORDER BY alias`,
      [modelKeys],
    );
  }

  async findAlias(modelKey: number, alias: string, manager?: EntityManager): Promise<number | null> {
    const [row] = await this.m(manager).query<{ version: number }[]>(
      `SELECT version FROM registry.registered_model_aliases WHERE model_key = $1 AND alias = $2`,
      [modelKey, alias],
    );
    return row ? Number(row.version) : null;
  }

  /** Points the alias at the version; returns the version it pointed at before, if any. */
  async setAlias(manager: EntityManager, modelKey: number, alias: string, version: number): Promise<number | null> {
    const previous = await this.findAlias(modelKey, alias, manager);
    await manager.query(
      `INSERT INTO registry.registered_model_aliases (model_key, alias, version) VALUES ($1, $2, $3)
       ON CONFLICT (model_key, alias) DO UPDATE SET version = EXCLUDED.version`,
      [modelKey, alias, version],
    );
    return previous;
  }

  /** Removes the alias; returns the version it pointed at, or null when there was none. */
  async deleteAlias(manager: EntityManager, modelKey: number, alias: string): Promise<number | null> {
    const [rows] = await manager.query<[{ version: number }[], number]>(
      `DELETE FROM registry.registered_model_aliases WHERE model_key = $1 AND alias = $2 RETURNING version`,
      [modelKey, alias],
    );
    const version = rows[0]?.version;
    return version === undefined ? null : Number(version);
  }

  /** One page of a search (compileModelSearch): each model's element of MLflow's JSON, in order. */
  async search(query: SearchQuery): Promise<string[]> {
    return (await this.dataSource.query<{ element: string }[]>(preparedStatement(query.sql), query.params)).map((r) => r.element);
  }
}
