import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CairnError, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { ExperimentEntity } from '../entities/experiment.entity';
import { ExperimentsRepository } from '../repositories/experiments.repository';
import { compileExperimentSearch, decodePageToken, encodePageToken, ViewType } from '../search';
import { LIMITS, requireValue, validateKey, validateLength } from './validation';

const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];
const DEFAULT_SEARCH_MAX_RESULTS = 1000;

export function parseExperimentId(raw: string): number {
  requireValue('experiment_id', raw);
  if (!/^\d{1,18}$/.test(raw)) {
    throw CairnError.invalidParameter(`Invalid experiment ID: '${raw.slice(0, 100)}'`);
  }
  return Number(raw);
}

export function parseViewType(raw: string | undefined): ViewType {
  if (raw === undefined || raw === '') return 'ACTIVE_ONLY';
  if (!(VIEW_TYPES as readonly string[]).includes(raw)) {
    throw CairnError.invalidParameter(`Invalid view_type '${raw}': expected one of ${VIEW_TYPES.join(', ')}`);
  }
  return raw as ViewType;
}

export function toExperimentMessage(e: ExperimentEntity): tracking.Experiment {
  return {
    experiment_id: String(e.experiment_id),
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    creation_time: Number(e.creation_time),
    last_update_time: Number(e.last_update_time),
    tags: (e.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
  };
}

function validateExperimentName(name: string): void {
  if (name.trim().length === 0) throw CairnError.invalidParameter(`Invalid experiment name: '${name}'`);
  validateLength('Experiment name', name, LIMITS.experimentNameLength);
}

function validateExperimentTag(key: string, value: string): void {
  validateKey('Tag key', key);
  validateLength('Tag value', value, LIMITS.experimentTagValueLength);
}

@Injectable()
export class ExperimentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async get(experimentId: string): Promise<tracking.Experiment> {
    return toExperimentMessage(await this.require(parseExperimentId(experimentId)));
  }

  async getByName(name: string): Promise<tracking.Experiment> {
    requireValue('experiment_name', name);
    const experiment = await this.experiments.findByName(name);
    if (!experiment) throw CairnError.notFound(`Could not find experiment with name '${name}'`);
    return toExperimentMessage(experiment);
  }

  async create(request: tracking.CreateExperimentRequest): Promise<string> {
    const { name } = request;
    validateExperimentName(name);
    for (const tag of request.tags) validateExperimentTag(tag.key, tag.value);
    return this.dataSource.transaction(async (manager) => {
      if (await this.experiments.nameExists(manager, name)) {
        throw CairnError.alreadyExists(`Experiment(name=${name}) already exists.`);
      }
      const experiment = await this.experiments.insert(manager, {
        name,
        artifactLocation: request.artifact_location || undefined,
        tags: request.tags,
        now: Date.now(),
      });
      const id = String(experiment.experiment_id);
      await this.outbox.append(manager, 'cairn.tracking.experiment.created.v1', id, {
        experiment_id: id,
        name,
        artifact_location: experiment.artifact_location,
      });
      return id;
    });
  }

  async search(request: tracking.SearchExperimentsRequest): Promise<tracking.SearchExperimentsResponse> {
    const maxResults = request.max_results || DEFAULT_SEARCH_MAX_RESULTS;
    const shape = { f: request.filter, o: request.order_by, v: request.view_type };
    const offset = decodePageToken(request.page_token, shape);
    const ids = await this.experiments.searchIds(
      compileExperimentSearch({
        filter: request.filter,
        orderBy: request.order_by,
        viewType: parseViewType(request.view_type),
        maxResults,
        offset,
      }),
    );
    const page = ids.slice(0, maxResults);
    const experiments = await this.experiments.findManyOrdered(page);
    return {
      experiments: experiments.map(toExperimentMessage),
      next_page_token: ids.length > maxResults ? encodePageToken(offset + maxResults, shape) : '',
    };
  }

  delete(experimentId: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    if (id === 0) throw CairnError.invalidParameter('Cannot delete the default experiment (ID 0).');
    return this.inTransaction(id, async (manager, experiment) => {
      if (experiment.lifecycle_stage === 'deleted') return;
      await this.experiments.setLifecycle(manager, id, 'deleted', Date.now());
    });
  }

  restore(experimentId: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    return this.inTransaction(id, async (manager, experiment) => {
      if (experiment.lifecycle_stage === 'active') return;
      await this.experiments.setLifecycle(manager, id, 'active', Date.now());
    });
  }

  rename(experimentId: string, newName: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    requireValue('new_name', newName);
    validateExperimentName(newName);
    return this.inTransaction(id, async (manager, experiment) => {
      requireActive(experiment, 'rename');
      if (experiment.name === newName) return;
      if (await this.experiments.nameExists(manager, newName)) {
        throw CairnError.alreadyExists(`Experiment(name=${newName}) already exists.`);
      }
      await this.experiments.rename(manager, id, newName, Date.now());
    });
  }

  setTag(experimentId: string, key: string, value: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    requireValue('key', key);
    validateExperimentTag(key, value);
    return this.inTransaction(id, async (manager, experiment) => {
      requireActive(experiment, 'set a tag on');
      await this.experiments.setTag(manager, id, key, value);
    });
  }

  deleteTag(experimentId: string, key: string): Promise<void> {
    const id = parseExperimentId(experimentId);
    requireValue('key', key);
    return this.inTransaction(id, async (manager, experiment) => {
      requireActive(experiment, 'delete a tag of');
      if (!(await this.experiments.deleteTag(manager, id, key))) {
        throw CairnError.notFound(`No tag with name: ${key} in experiment with id ${id}`);
      }
    });
  }

  private async require(id: number, manager?: EntityManager): Promise<ExperimentEntity> {
    const experiment = await this.experiments.findById(id, manager);
    if (!experiment) throw CairnError.notFound(`No Experiment with id=${id} exists`);
    return experiment;
  }

  private inTransaction(
    id: number,
    work: (manager: EntityManager, experiment: ExperimentEntity) => Promise<void>,
  ): Promise<void> {
    return this.dataSource.transaction(async (manager) => work(manager, await this.require(id, manager)));
  }
}

function requireActive(experiment: ExperimentEntity, action: string): void {
  if (experiment.lifecycle_stage !== 'active') {
    throw CairnError.invalidParameter(
      `Cannot ${action} experiment ${experiment.experiment_id}: it must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
    );
  }
}
