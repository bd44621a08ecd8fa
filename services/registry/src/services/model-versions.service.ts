import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CairnError, jsonPage, registry } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { RegisteredModelsRepository } from '../repositories/registered-models.repository';
import { parseRegistryFilter, VERSION_FILTER } from '../search/filter';
import { parseVersionOrderBy } from '../search/order-by';
import { decodePageToken, encodePageToken } from '../search/page-token';
import { compileVersionSearch } from '../search/search-sql';
import { ModelSources, parseModelUri, ParsedModelUri, ReferencedVersion } from './model-sources.service';
import { StageTransitions } from './stage-transitions.service';
import {
  canonicalStage,
  dedupeTags,
  LIMITS,
  parseVersion,
  requireField,
  resolveMaxResults,
  validateArchiveExisting,
  validateDescription,
  validateModelName,
  validateRunLink,
  validateSourceLength,
  validateTag,
  validateTagKey,
} from './validation';
import { RegistryViews, versionNotFound } from './views.service';

/** Model versions: create (from runs, logged models, artifact URIs), update, stages, delete, tags, search. */
@Injectable()
export class ModelVersionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: RegisteredModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly views: RegistryViews,
    private readonly sources: ModelSources,
    private readonly transitions: StageTransitions,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(request: registry.CreateModelVersionRequest, actor: string): Promise<registry.ModelVersion> {
    const name = validateModelName(request.name);
    const source = requireField('source', request.source);
    validateSourceLength(source);
    const tags = dedupeTags(request.tags ?? []);
    validateDescription(request.description);
    validateRunLink(request.run_link);
    // Fail fast on an unknown model before asking tracking anything.
    await this.views.requireModel(name);
    // Lineage and file checks talk to tracking/artifacts: outside any transaction.
    const resolved = await this.sources.resolve(
      {
        source,
        runId: request.run_id || null,
        modelId: request.model_id || null,
        hasRunId: request.run_id !== undefined,
        hasModelId: request.model_id !== undefined,
      },
      (ref) => this.referencedVersion(ref),
    );
    const verdict = await this.sources.verify(resolved.plan);
    const { version, message } = await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      const now = Date.now();
      const number = await this.models.allocateVersion(manager, Number(model.model_key), now);
      await this.versions.insert(manager, {
        modelKey: Number(model.model_key),
        version: number,
        now,
        description: request.description ?? null,
        userId: actor,
        source: resolved.source,
        storageLocation: resolved.storageLocation,
        runId: resolved.runId,
        runLink: request.run_link || null,
        modelId: resolved.modelId,
        status: verdict.status,
        statusMessage: verdict.message,
        tags,
      });
      await this.outbox.append(manager, 'cairn.registry.model_version.created.v1', name, {
        name,
        version: String(number),
        source: resolved.source,
        run_id: resolved.runId,
        model_id: resolved.modelId,
        status: verdict.status,
        status_message: verdict.message,
        description: request.description ?? null,
        tags,
        actor,
      });
      const row = await this.views.requireVersion(model, number, manager);
      return { version: number, message: await this.views.versionMessage(row, manager) };
    });
    if (resolved.modelId) await this.sources.linkLoggedModel(resolved.modelId, name, version);
    return message;
  }

  async get(name: string, version: string): Promise<registry.ModelVersion> {
    return this.views.versionMessage(await this.find(name, version));
  }

  async downloadUri(name: string, version: string): Promise<string> {
    const row = await this.find(name, version);
    return row.storage_location ?? row.source;
  }

  async update(request: registry.UpdateModelVersionRequest): Promise<registry.ModelVersion> {
    const name = validateModelName(request.name);
    const version = parseVersion(request.version);
    validateDescription(request.description);
    return this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.views.requireVersion(model, version, manager);
      // MLflow: an absent description clears it.
      await this.versions.setDescription(manager, Number(model.model_key), version, request.description ?? null, Date.now());
      return this.views.versionMessage(await this.views.requireVersion(model, version, manager), manager);
    });
  }

  /** MLflow's transition-stage (also records an APPLIED_TRANSITION activity). */
  async transition(
    request: { name: string; version: string; stage: string; archive_existing_versions: boolean; comment?: string | null },
    actor: string,
  ): Promise<registry.ModelVersion> {
    const name = validateModelName(request.name);
    const version = parseVersion(request.version);
    const stage = canonicalStage(request.stage);
    validateArchiveExisting(stage, request.archive_existing_versions);
    return this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      const row = await this.views.requireVersion(model, version, manager);
      await this.transitions.apply(manager, {
        model,
        version: row,
        toStage: stage,
        archiveExisting: request.archive_existing_versions,
        actor,
        comment: request.comment ?? null,
        via: 'transition',
        now: Date.now(),
      });
      return this.views.versionMessage(await this.views.requireVersion(model, version, manager), manager);
    });
  }

  async delete(request: registry.DeleteModelVersionRequest, actor: string): Promise<void> {
    const name = validateModelName(request.name);
    const version = parseVersion(request.version);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.views.requireVersion(model, version, manager);
      const aliases = (await this.models.aliasesOf([Number(model.model_key)], manager)).filter(
        (a) => Number(a.version) === version,
      );
      // Its tags, aliases and activity go with it (ON DELETE CASCADE); the number is never reused.
      await this.versions.delete(manager, Number(model.model_key), version);
      await this.models.touch(manager, Number(model.model_key), Date.now());
      for (const a of aliases) {
        await this.outbox.append(manager, 'cairn.registry.model_version_alias.deleted.v1', name, {
          name,
          alias: a.alias,
          version: String(version),
          actor,
        });
      }
      await this.outbox.append(manager, 'cairn.registry.model_version.deleted.v1', name, {
        name,
        version: String(version),
        actor,
      });
    });
  }

  async setTag(request: registry.SetModelVersionTagRequest, actor: string): Promise<void> {
    const name = validateModelName(request.name);
    const version = parseVersion(request.version);
    requireField('key', request.key);
    validateTag(request.key, request.value);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.views.requireVersion(model, version, manager);
      await this.versions.setTag(manager, Number(model.model_key), version, request.key, request.value);
      await this.outbox.append(manager, 'cairn.registry.model_version_tag.set.v1', name, {
        name,
        version: String(version),
        key: request.key,
        value: request.value,
        actor,
      });
    });
  }

  async deleteTag(request: registry.DeleteModelVersionTagRequest, actor: string): Promise<void> {
    const name = validateModelName(request.name);
    const version = parseVersion(request.version);
    requireField('key', request.key);
    validateTagKey(request.key);
    await this.dataSource.transaction(async (manager) => {
      const model = await this.views.lockModel(manager, name);
      await this.views.requireVersion(model, version, manager);
      if (await this.versions.deleteTag(manager, Number(model.model_key), version, request.key)) {
        await this.outbox.append(manager, 'cairn.registry.model_version_tag.deleted.v1', name, {
          name,
          version: String(version),
          key: request.key,
          actor,
        });
      }
    });
  }

  async search(request: registry.SearchModelVersionsRequest): Promise<registry.SearchModelVersionsResponse> {
    const maxResults = resolveMaxResults(request.max_results, LIMITS.searchVersionsDefault, LIMITS.searchVersionsMaxResults);
    const conditions = parseRegistryFilter(request.filter, VERSION_FILTER);
    const order = parseVersionOrderBy(request.order_by ?? []);
    const shape = { f: request.filter, o: request.order_by, m: maxResults };
    const offset = decodePageToken(request.page_token, shape);
    const versions = await this.versions.search(compileVersionSearch(conditions, order, maxResults + 1, offset));
    const hasMore = versions.length > maxResults;
    const token = hasMore ? encodePageToken(offset + maxResults, shape) : undefined;
    return { json: jsonPage('model_versions', hasMore ? versions.slice(0, maxResults) : versions, token) };
  }

  /** `models:/<name>/<version|stage|latest>` or `models:/<name>@<alias>` → the version and where its files are. */
  async resolveUri(uri: string): Promise<registry.ResolveModelUriResponse> {
    requireField('uri', uri);
    const parsed = parseModelUri(uri);
    if (parsed.kind !== 'registry') {
      throw CairnError.invalidParameter(`'${uri}' names a logged model, not a registered model version.`);
    }
    const ref = await this.referencedVersion(parsed);
    const row = await this.versions.findByName(ref.name, ref.version);
    if (!row) throw versionNotFound(ref.name, ref.version);
    return { model_version: await this.views.versionMessage(row), artifact_uri: row.storage_location ?? row.source };
  }

  private async find(name: string, version: string): Promise<ModelVersionEntity> {
    validateModelName(name);
    const number = parseVersion(version);
    const row = await this.versions.findByName(name, number);
    if (!row) {
      // 404 on the model first, as MLflow does for an unknown name.
      await this.views.requireModel(name);
      throw versionNotFound(name, number);
    }
    return row;
  }

  /** The version a registry reference names (by number, latest in a stage, latest overall, or alias). */
  private async referencedVersion(ref: ParsedModelUri & { kind: 'registry' }): Promise<ReferencedVersion> {
    const model = await this.views.requireModel(ref.name);
    const modelKey = Number(model.model_key);
    let version: number | null;
    if (ref.version !== undefined) {
      version = ref.version;
    } else if (ref.alias !== undefined) {
      version = await this.models.findAlias(modelKey, ref.alias);
      if (version === null) throw CairnError.invalidParameter(`Registered model alias ${ref.alias} not found.`);
    } else if (ref.stage !== undefined) {
      const stage = canonicalStage(ref.stage);
      const latest = (await this.versions.latestPerStage([modelKey])).find((v) => v.current_stage === stage);
      if (!latest) throw CairnError.notFound(`No versions of model with name '${ref.name}' and stage '${stage}' found`);
      version = Number(latest.version);
    } else {
      version = await this.versions.maxVersion(modelKey);
      if (version === null) throw CairnError.notFound(`No versions of model with name '${ref.name}' found`);
    }
    const row = await this.versions.find(modelKey, version);
    if (!row) throw versionNotFound(ref.name, version);
    return {
      name: row.name,
      version: Number(row.version),
      source: row.source,
      storageLocation: row.storage_location,
      runId: row.run_id,
      modelId: row.model_id,
    };
  }
}
