import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CairnError, tracking } from '@cairn/contracts';
import { OutboxWriter } from '@cairn/events';
import { ExperimentEntity } from '../entities/experiment.entity';
import { ExperimentsRepository } from '../repositories/experiments.repository';

const MAX_EXPERIMENT_NAME = 500;

export function parseExperimentId(raw: string): number {
  if (!/^\d{1,18}$/.test(raw)) {
    throw CairnError.invalidParameter(`Invalid experiment ID: '${raw}'`);
  }
  return Number(raw);
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

@Injectable()
export class ExperimentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly experiments: ExperimentsRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async get(experimentId: string): Promise<tracking.Experiment> {
    const experiment = await this.experiments.findById(parseExperimentId(experimentId));
    if (!experiment) throw CairnError.notFound(`No Experiment with id=${experimentId} exists`);
    return toExperimentMessage(experiment);
  }

  async create(request: tracking.CreateExperimentRequest): Promise<string> {
    const name = request.name;
    if (name.trim().length === 0) throw CairnError.invalidParameter(`Invalid experiment name: '${name}'`);
    if (name.length > MAX_EXPERIMENT_NAME) {
      throw CairnError.invalidParameter(
        `Experiment name '${name.slice(0, 40)}...' had length ${name.length}, which exceeded length limit of ${MAX_EXPERIMENT_NAME}`,
      );
    }
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
}
