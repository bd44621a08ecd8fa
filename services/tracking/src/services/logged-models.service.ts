import { randomInt, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CairnError, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import {
  KeyValue,
  LoggedModelAggregate,
  LoggedModelRow,
  LoggedModelsRepository,
} from '../repositories/logged-models.repository';
import { compileLoggedModelSearch, decodePageToken, encodePageToken, LoggedModelDatasetFilter } from '../search';
import { parseExperimentId } from './experiments.service';
import { requireValue, validateLength } from './validation';

/**
 * Limits of logged models. MLflow stores keys in 255-char columns and values
 * in TEXT without a check; Cairn bounds values too (never reached by the
 * client: the `mlflow.modelVersions` tag is the longest it writes).
 */
export const LOGGED_MODEL_LIMITS = {
  keyLength: 255,
  valueLength: 100_000,
  nameLength: 500,
  modelTypeLength: 500,
  searchMaxResultsDefault: 100,
  searchMaxResults: 50_000,
} as const;

/** Storage (MLflow's LoggedModelStatus names) ↔ wire (service.proto enum names). */
const STATUS_TO_WIRE: Record<string, string> = {
  UNSPECIFIED: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  PENDING: 'LOGGED_MODEL_PENDING',
  READY: 'LOGGED_MODEL_READY',
  FAILED: 'LOGGED_MODEL_UPLOAD_FAILED',
};

/** Statuses a model can be finalized to. */
const FINAL_STATUSES: Record<string, string> = {
  LOGGED_MODEL_READY: 'READY',
  LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
};

const NAME_BAD_CHARS = ['/', ':', '.', '%', '"', "'"];

const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fair', 'fleet', 'gentle',
  'glad', 'grand', 'hardy', 'honest', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'mighty', 'nimble',
  'noble', 'patient', 'polite', 'proud', 'quick', 'quiet', 'rapid', 'rare', 'serene', 'sharp', 'shy', 'silent',
  'smooth', 'sly', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'witty', 'young', 'zesty',
];
const NOUNS = [
  'ant', 'badger', 'bass', 'bear', 'bee', 'bird', 'boar', 'cat', 'colt', 'crab', 'crow', 'deer', 'dove', 'eel',
  'elk', 'finch', 'fox', 'frog', 'gull', 'hare', 'hawk', 'heron', 'horse', 'ibis', 'jay', 'koi', 'lark', 'lynx',
  'mole', 'moth', 'newt', 'owl', 'panda', 'pike', 'puma', 'quail', 'ram', 'robin', 'seal', 'shrew', 'snail',
  'squid', 'stork', 'swan', 'toad', 'trout', 'vole', 'wasp', 'whale', 'wolf', 'wren', 'yak',
];

/** An MLflow-style random name: `<adjective>-<animal>-<0..999>`. */
export function generateRandomName(): string {
  const pick = (words: readonly string[]): string => words[randomInt(words.length)] ?? words[0] ?? 'model';
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000)}`;
}

/** `m-` + 32 hex, as MLflow's SQL store issues them. */
export function newModelId(): string {
  return `m-${randomUUID().replace(/-/g, '')}`;
}

/** `<experiment location>/models/<model id>/artifacts` (MLflow's append_to_uri_path). */
export function modelArtifactLocation(experimentLocation: string, modelId: string): string {
  return `${experimentLocation.replace(/\/+$/, '')}/models/${modelId}/artifacts`;
}

/** MLflow's _validate_logged_model_name. */
export function validateModelName(name: string): void {
  if (name === '' || NAME_BAD_CHARS.some((c) => name.includes(c))) {
    throw CairnError.invalidParameter(
      `Invalid model name ('${name.slice(0, 250)}') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
  validateLength('Model name', name, LOGGED_MODEL_LIMITS.nameLength);
}

function validateEntry(kind: 'Param' | 'Tag', entry: KeyValue): void {
  if (typeof entry.key !== 'string' || entry.key === '') {
    throw CairnError.invalidParameter(`Invalid ${kind.toLowerCase()} key: '' (keys must not be empty)`);
  }
  if (typeof entry.value !== 'string') {
    throw CairnError.invalidParameter(`Invalid value for ${kind.toLowerCase()} '${entry.key}': expected a string`);
  }
  validateLength(`${kind} key`, entry.key, LOGGED_MODEL_LIMITS.keyLength);
  validateLength(`${kind} value`, entry.value, LOGGED_MODEL_LIMITS.valueLength);
}

/** Params: validated, duplicates with the same value collapsed, a key with two values rejected. */
export function uniqueParams(params: readonly KeyValue[]): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const param of params) {
    validateEntry('Param', param);
    const seen = byKey.get(param.key);
    if (seen !== undefined && seen !== param.value) {
      throw CairnError.invalidParameter(
        `Duplicate parameter key '${param.key}' with different values ('${seen.slice(0, 250)}', '${param.value.slice(0, 250)}') in one request`,
      );
    }
    byKey.set(param.key, param.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** Tags: validated; a key given twice keeps its last value (MLflow). */
export function uniqueTags(tags: readonly KeyValue[]): KeyValue[] {
  const byKey = new Map<string, string>();
  for (const tag of tags) {
    validateEntry('Tag', tag);
    byKey.set(tag.key, tag.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** The wire message of a model (MLflow's LoggedModel.to_proto; registrations stay empty, as in MLflow). */
export function toLoggedModelMessage(aggregate: LoggedModelAggregate): tracking.LoggedModel {
  const m = aggregate.model;
  return {
    info: {
      model_id: m.model_id,
      experiment_id: String(m.experiment_id),
      name: m.name,
      creation_timestamp_ms: m.creation_timestamp,
      last_updated_timestamp_ms: m.last_updated_timestamp,
      artifact_uri: m.artifact_location,
      status: STATUS_TO_WIRE[m.status] ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
      model_type: m.model_type ?? undefined,
      source_run_id: m.source_run_id ?? undefined,
      status_message: m.status_message ?? undefined,
      tags: aggregate.tags.map((t) => ({ key: t.key, value: t.value })),
      registrations: [],
    },
    data: {
      params: aggregate.params.map((p) => ({ key: p.key, value: p.value })),
      metrics: aggregate.metrics.map((x) => ({
        key: x.key,
        value: x.value,
        timestamp: x.timestamp,
        step: x.step,
        model_id: x.model_id,
        run_id: x.run_id ?? undefined,
        dataset_name: x.dataset_name ?? undefined,
        dataset_digest: x.dataset_digest ?? undefined,
      })),
    },
  };
}

function notFound(modelId: string): CairnError {
  return CairnError.notFound(`Logged model with ID '${modelId}' not found.`);
}

function requireModelId(modelId: string): string {
  requireValue('model_id', modelId);
  if (modelId.length > 256) throw notFound(modelId.slice(0, 256));
  return modelId;
}

@Injectable()
export class LoggedModelsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: LoggedModelsRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(request: tracking.CreateLoggedModelRequest): Promise<tracking.LoggedModel> {
    const experimentId = parseExperimentId(requireValue('experiment_id', request.experiment_id));
    if (request.name) validateModelName(request.name);
    if (request.model_type) validateLength('Model type', request.model_type, LOGGED_MODEL_LIMITS.modelTypeLength);
    const params = uniqueParams(request.params ?? []);
    const tags = uniqueTags(request.tags ?? []);
    const sourceRunId = request.source_run_id || null;
    return this.dataSource.transaction(async (manager) => {
      const experiment = await this.models.findExperiment(manager, experimentId);
      if (!experiment) throw CairnError.notFound(`No Experiment with id=${experimentId} exists`);
      if (experiment.lifecycle_stage !== 'active') {
        throw CairnError.invalidParameter(
          `The experiment ${experimentId} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
        );
      }
      if (sourceRunId !== null && !(await this.models.runExists(manager, sourceRunId))) {
        throw CairnError.notFound(`Run with id=${sourceRunId.slice(0, 256)} not found`);
      }
      const modelId = newModelId();
      const now = Date.now();
      const row: LoggedModelRow = {
        model_id: modelId,
        experiment_id: experimentId,
        name: request.name || generateRandomName(),
        artifact_location: modelArtifactLocation(experiment.artifact_location, modelId),
        creation_timestamp: now,
        last_updated_timestamp: now,
        status: 'PENDING',
        lifecycle_stage: 'active',
        model_type: request.model_type || null,
        source_run_id: sourceRunId,
        status_message: null,
      };
      await this.models.insert(manager, row, params, tags);
      await this.outbox.append(manager, 'cairn.tracking.logged_model.created.v1', modelId, {
        experiment_id: String(experimentId),
        model_id: modelId,
        name: row.name,
      });
      return toLoggedModelMessage({ model: row, tags, params, metrics: [] });
    });
  }

  async get(modelId: string): Promise<tracking.LoggedModel> {
    requireModelId(modelId);
    const [aggregate] = await this.models.loadMany(this.models.defaultManager, [modelId]);
    if (!aggregate || aggregate.model.lifecycle_stage === 'deleted') throw notFound(modelId);
    return toLoggedModelMessage(aggregate);
  }

  async finalize(modelId: string, status: string): Promise<tracking.LoggedModel> {
    requireModelId(modelId);
    requireValue('status', status);
    const stored = FINAL_STATUSES[status];
    if (!stored) {
      throw CairnError.invalidParameter(
        `Invalid status '${status.slice(0, 100)}' for a logged model: expected LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED`,
      );
    }
    return this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      await this.models.updateStatus(manager, modelId, stored, Date.now());
      return this.load(manager, modelId);
    });
  }

  async delete(modelId: string): Promise<void> {
    requireModelId(modelId);
    await this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      await this.models.markDeleted(manager, modelId, Date.now());
    });
  }

  /** Returns the model with its new tags (the response's `model`, which MLflow's server leaves unset). */
  async setTags(modelId: string, tags: readonly KeyValue[]): Promise<tracking.LoggedModel> {
    requireModelId(modelId);
    const unique = uniqueTags(tags);
    return this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      await this.models.upsertTags(manager, modelId, unique);
      return this.load(manager, modelId);
    });
  }

  async deleteTag(modelId: string, key: string): Promise<void> {
    requireModelId(modelId);
    requireValue('tag_key', key);
    await this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      if (!(await this.models.deleteTag(manager, modelId, key))) {
        throw CairnError.notFound(`No tag with key '${key.slice(0, 250)}' found for model with ID '${modelId}'.`);
      }
    });
  }

  /** Params are immutable: logging the same value again is a no-op, a new value is rejected. */
  async logParams(modelId: string, params: readonly KeyValue[]): Promise<void> {
    requireModelId(modelId);
    const unique = uniqueParams(params);
    await this.dataSource.transaction(async (manager) => {
      await this.lockModel(manager, modelId);
      const existing = await this.models.findParams(
        manager,
        modelId,
        unique.map((p) => p.key),
      );
      const current = new Map(existing.map((p) => [p.key, p.value]));
      for (const param of unique) {
        const old = current.get(param.key);
        if (old !== undefined && old !== param.value) {
          throw CairnError.invalidParameter(
            `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${old.slice(0, 250)}' for logged model ID='${modelId}'. Attempted logging new value '${param.value.slice(0, 250)}'.`,
          );
        }
      }
      await this.models.insertParams(
        manager,
        modelId,
        unique.filter((p) => !current.has(p.key)),
      );
    });
  }

  async search(request: tracking.SearchLoggedModelsRequest): Promise<tracking.SearchLoggedModelsResponse> {
    const experimentIds = (request.experiment_ids ?? []).map(parseExperimentId);
    const maxResults = request.max_results || LOGGED_MODEL_LIMITS.searchMaxResultsDefault;
    if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > LOGGED_MODEL_LIMITS.searchMaxResults) {
      throw CairnError.invalidParameter(
        `Invalid value for max_results. It must be a positive integer at most ${LOGGED_MODEL_LIMITS.searchMaxResults}, but got ${maxResults}`,
      );
    }
    const datasets: LoggedModelDatasetFilter[] = (request.datasets ?? []).map((d) => ({
      dataset_name: d.dataset_name,
      ...(d.dataset_digest ? { dataset_digest: d.dataset_digest } : {}),
    }));
    const orderBy = (request.order_by ?? []).map((o) => ({
      field_name: o.field_name,
      ...(o.ascending !== undefined ? { ascending: o.ascending } : {}),
      ...(o.dataset_name ? { dataset_name: o.dataset_name } : {}),
      ...(o.dataset_digest ? { dataset_digest: o.dataset_digest } : {}),
    }));
    const filter = request.filter ?? '';
    const shape = { kind: 'logged-models', experimentIds, filter, datasets, orderBy };
    const offset = decodePageToken(request.page_token, shape);
    const query = compileLoggedModelSearch({ experimentIds, filter, orderBy, datasets, maxResults, offset });
    const manager = this.models.defaultManager;
    const ids = await this.models.searchIds(manager, query);
    const page = ids.slice(0, maxResults);
    const aggregates = await this.models.loadMany(manager, page);
    return {
      models: aggregates.map(toLoggedModelMessage),
      next_page_token: ids.length > maxResults ? encodePageToken(offset + maxResults, shape) : '',
    };
  }

  private async lockModel(manager: EntityManager, modelId: string): Promise<LoggedModelRow> {
    const row = await this.models.findRow(manager, modelId, true);
    if (!row) throw notFound(modelId);
    return row;
  }

  private async load(manager: EntityManager, modelId: string): Promise<tracking.LoggedModel> {
    const [aggregate] = await this.models.loadMany(manager, [modelId]);
    if (!aggregate) throw notFound(modelId);
    return toLoggedModelMessage(aggregate);
  }
}
