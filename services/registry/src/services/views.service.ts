import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CairnError, registry } from '@cairn/contracts';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { RegisteredModelEntity } from '../entities/registered-model.entity';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';
import { toModelVersion, toRegisteredModel, VersionExtras } from './messages';
import { ALL_STAGES } from './validation';

export function modelNotFound(name: string): CairnError {
  return CairnError.notFound(`Registered Model with name=${name} not found`);
}

export function versionNotFound(name: string, version: number | string): CairnError {
  return CairnError.notFound(`Model Version (name=${name}, version=${version}) not found`);
}

/** Loads models and versions with their tags, aliases and latest versions, in a few batched queries. */
@Injectable()
export class RegistryViews {
  constructor(
    private readonly models: RegisteredModelsRepository,
    private readonly versions: ModelVersionsRepository,
  ) {}

  async requireModel(name: string, manager?: EntityManager): Promise<RegisteredModelEntity> {
    const model = await this.models.findByName(name, manager);
    if (!model) throw modelNotFound(name);
    return model;
  }

  /** Locks the model row for the rest of the transaction (404 when missing). */
  async lockModel(manager: EntityManager, name: string): Promise<RegisteredModelEntity> {
    const model = await this.models.lockByName(manager, name);
    if (!model) throw modelNotFound(name);
    return model;
  }

  async requireVersion(model: RegisteredModelEntity, version: number, manager?: EntityManager): Promise<ModelVersionEntity> {
    const row = await this.versions.find(Number(model.model_key), version, manager);
    if (!row) throw versionNotFound(model.name, version);
    return row;
  }

  async versionMessages(rows: readonly ModelVersionEntity[], manager?: EntityManager): Promise<registry.ModelVersion[]> {
    if (rows.length === 0) return [];
    const modelKeys = [...new Set(rows.map((r) => Number(r.model_key)))];
    const [tags, aliases] = await Promise.all([
      this.versions.tagsOf(
        rows.map((r) => ({ model_key: Number(r.model_key), version: Number(r.version) })),
        manager,
      ),
      this.models.aliasesOf(modelKeys, manager),
    ]);
    const extras = new VersionExtras(tags, aliases);
    return rows.map((r) => toModelVersion(r, extras));
  }

  async versionMessage(row: ModelVersionEntity, manager?: EntityManager): Promise<registry.ModelVersion> {
    const [message] = await this.versionMessages([row], manager);
    return message!;
  }

  async modelMessages(rows: readonly RegisteredModelEntity[], manager?: EntityManager): Promise<registry.RegisteredModel[]> {
    if (rows.length === 0) return [];
    const keys = rows.map((r) => Number(r.model_key));
    const [tags, aliases, latestRows] = await Promise.all([
      this.models.tagsOf(keys, manager),
      this.models.aliasesOf(keys, manager),
      this.versions.latestPerStage(keys, manager),
    ]);
    const latestTags = await this.versions.tagsOf(
      latestRows.map((r) => ({ model_key: Number(r.model_key), version: Number(r.version) })),
      manager,
    );
    const extras = new VersionExtras(latestTags, aliases);
    const stageOrder = (stage: string): number => ALL_STAGES.indexOf(stage as (typeof ALL_STAGES)[number]);
    return rows.map((m) => {
      const key = Number(m.model_key);
      const latest = latestRows
        .filter((v) => Number(v.model_key) === key)
        .sort((a, b) => stageOrder(a.current_stage) - stageOrder(b.current_stage))
        .map((v) => toModelVersion(v, extras));
      return toRegisteredModel(
        m,
        tags.filter((t) => Number(t.model_key) === key),
        aliases.filter((a) => Number(a.model_key) === key),
        latest,
      );
    });
  }

  async modelMessage(row: RegisteredModelEntity, manager?: EntityManager): Promise<registry.RegisteredModel> {
    const [message] = await this.modelMessages([row], manager);
    return message!;
  }
}
