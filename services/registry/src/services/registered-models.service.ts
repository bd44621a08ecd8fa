import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CairnError, jsonPage, registry } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';
import { MODEL_FILTER, parseRegistryFilter } from '../search/filter';
import { parseModelOrderBy } from '../search/order-by';
import { decodePageToken, encodePageToken } from '../search/page-token';
import { compileModelSearch } from '../search/search-sql';
import {
  ALL_STAGES,
  canonicalStage,
  dedupeTags,
  LIMITS,
  parseVersion,
  requireField,
  resolveMaxResults,
  validateAliasName,
  validateAliasNotReserved,
  validateDescription,
  validateModelName,
  validateTag,
  validateTagKey,
} from './validation';
import { RegistryViews, versionNotFound } from './views.service';

/** Registered models: create, rename, update, delete, get, search, tags, aliases, latest versions. */
@Injectable()
export class RegisteredModelsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: RegisteredModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly views: RegistryViews,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(request: registry.CreateRegisteredModelRequest, actor: string): Promise<registry.RegisteredModel> {
    const name = validateModelName(request.name);
    const tags = dedupeTags(request.tags ?? []);
    validateDescription(request.description);
    const description = request.description ?? null;
    return this.dataSource.transaction(async (manager) => {
      const model = await this.models.insert(manager, { name, description, userId: actor, tags, now: Date.now() });
      if (!model) throw CairnError.alreadyExists(`Registered Model (name=${name}) already exists.`);
      await this.outbox.append(manager, 'cairn.registry.registered_model.created.v1', name, {
        name,
        description,
        tags,
        actor,
      });
      return this.views.modelMessage(model, manager);
    });
  }

  async get(name: string): Promise<registry.RegisteredModel> {
    validateModelName(name);
    return this.views.modelMessage(await this.views.requireModel(name));
  }

  async rename(request: registry.RenameRegisteredModelRequest, actor: string): Promise<registry.RegisteredModel> {
    const name = validateModelName(request.name);
    const newName = validateModelName(request.new_name, 'new_name');
    return this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      if (newName !== name) {
        if (await this.models.nameTaken(manager, newName)) {
          throw CairnError.alreadyExists(`Registered Model (name=${newName}) already exists.`);
        }
        const now = Date.now();
        await this.models.rename(manager, Number(model.model_key), newName, now);
        await this.versions.touchAll(manager, Number(model.model_key), now);
        await this.outbox.append(manager, 'cairn.registry.registered_model.renamed.v1', newName, {
          name: newName,
          old_name: name,
          actor,
        });
      }
      return this.views.modelMessage(await this.views.requireModel(newName, manager), manager);
    });
  }

  async update(request: registry.UpdateRegisteredModelRequest): Promise<registry.RegisteredModel> {
    const name = validateModelName(request.name);
    validateDescription(request.description);
    return this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      // MLflow sets the description to what was sent (an absent one clears it).
      await this.models.setDescription(manager, Number(model.model_key), request.description ?? null, Date.now());
      return this.views.modelMessage(await this.views.requireModel(name, manager), manager);
    });
  }

  async delete(name: string, actor: string): Promise<void> {
    validateModelName(name);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.models.delete(manager, Number(model.model_key));
      await this.outbox.append(manager, 'cairn.registry.registered_model.deleted.v1', name, { name, actor });
    });
  }

  async search(request: registry.SearchRegisteredModelsRequest): Promise<registry.SearchRegisteredModelsResponse> {
    const maxResults = resolveMaxResults(request.max_results, LIMITS.searchModelsDefault, LIMITS.searchModelsMaxResults);
    const conditions = parseRegistryFilter(request.filter, MODEL_FILTER);
    const order = parseModelOrderBy(request.order_by ?? []);
    const shape = { f: request.filter, o: request.order_by, m: maxResults };
    const offset = decodePageToken(request.page_token, shape);
    const models = await this.models.search(compileModelSearch(conditions, order, maxResults + 1, offset));
    const hasMore = models.length > maxResults;
    const token = hasMore ? encodePageToken(offset + maxResults, shape) : undefined;
    return { json: jsonPage('registered_models', hasMore ? models.slice(0, maxResults) : models, token) };
  }

  /** The latest version in each requested stage (all stages when none are named). */
  async latestVersions(request: registry.GetLatestVersionsRequest): Promise<registry.ModelVersion[]> {
    const name = validateModelName(request.name);
    const stages = new Set(
      (request.stages ?? []).length > 0 ? (request.stages ?? []).map((s) => canonicalStage(s, 'stages')) : ALL_STAGES,
    );
    const model = await this.views.requireModel(name);
    const latest = (await this.versions.latestPerStage([Number(model.model_key)])).filter((v) =>
      stages.has(v.current_stage),
    );
    latest.sort((a, b) => ALL_STAGES.indexOf(a.current_stage) - ALL_STAGES.indexOf(b.current_stage));
    return this.views.versionMessages(latest);
  }

  async setTag(request: registry.SetRegisteredModelTagRequest): Promise<void> {
    const name = validateModelName(request.name);
    requireField('key', request.key);
    validateTag(request.key, request.value);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.models.setTag(manager, Number(model.model_key), request.key, request.value);
    });
  }

  async deleteTag(request: registry.DeleteRegisteredModelTagRequest): Promise<void> {
    const name = validateModelName(request.name);
    requireField('key', request.key);
    validateTagKey(request.key);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.models.deleteTag(manager, Number(model.model_key), request.key);
    });
  }

  async setAlias(request: registry.SetRegisteredModelAliasRequest, actor: string): Promise<void> {
    const name = validateModelName(request.name);
    const alias = validateAliasName(request.alias);
    validateAliasNotReserved(alias);
    const version = parseVersion(request.version);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.views.requireVersion(model, version, manager);
      const previous = await this.models.setAlias(manager, Number(model.model_key), alias, version);
      if (previous !== version) {
        await this.outbox.append(manager, 'cairn.registry.model_version_alias.set.v1', name, {
          name,
          alias,
          version: String(version),
          previous_version: previous === null ? null : String(previous),
          actor,
        });
      }
    });
  }

  async deleteAlias(request: registry.DeleteRegisteredModelAliasRequest, actor: string): Promise<void> {
    const name = validateModelName(request.name);
    const alias = validateAliasName(request.alias);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      const version = await this.models.deleteAlias(manager, Number(model.model_key), alias);
      if (version !== null) {
        await this.outbox.append(manager, 'cairn.registry.model_version_alias.deleted.v1', name, {
          name,
          alias,
          version: String(version),
          actor,
        });
      }
    });
  }

  async versionByAlias(request: registry.GetModelVersionByAliasRequest): Promise<registry.ModelVersion> {
    const name = validateModelName(request.name);
    const alias = validateAliasName(request.alias);
    const model = await this.views.requireModel(name);
    const modelKey = Number(model.model_key);
    if (alias.toLowerCase() === 'latest') {
      const latest = await this.versions.maxVersion(modelKey);
      if (latest === null) throw CairnError.notFound(`Latest version not found for model ${name}.`);
      return this.views.versionMessage(await this.views.requireVersion(model, latest));
    }
    const version = await this.models.findAlias(modelKey, alias);
    if (version === null) throw CairnError.invalidParameter(`Registered model alias ${alias} not found.`);
    const row = await this.versions.find(modelKey, version);
    if (!row) throw versionNotFound(name, version);
    return this.views.versionMessage(row);
  }
}
