import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ExperimentTagEntity } from '../entities/experiment-tag.entity';
import { ExperimentEntity } from '../entities/experiment.entity';

export interface NewExperiment {
  name: string;
  artifactLocation: string | undefined;
  tags: { key: string; value: string }[];
  now: number;
}

@Injectable()
export class ExperimentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  findById(experimentId: number): Promise<ExperimentEntity | null> {
    return this.dataSource.getRepository(ExperimentEntity).findOne({
      where: { experiment_id: experimentId },
      relations: { tags: true },
    });
  }

  async nameExists(manager: EntityManager, name: string): Promise<boolean> {
    return (await manager.getRepository(ExperimentEntity).countBy({ name })) > 0;
  }

  /** Inserts an experiment and its tags in the caller's transaction; default artifact location uses the new id. */
  async insert(manager: EntityManager, input: NewExperiment): Promise<ExperimentEntity> {
    const [{ id }] = await manager.query<[{ id: number }]>(`SELECT nextval('tracking.experiment_id_seq') AS id`);
    const experiment = manager.getRepository(ExperimentEntity).create({
      experiment_id: Number(id),
      name: input.name,
      artifact_location: input.artifactLocation ?? `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      creation_time: input.now,
      last_update_time: input.now,
    });
    await manager.getRepository(ExperimentEntity).insert(experiment);
    if (input.tags.length > 0) {
      await manager
        .getRepository(ExperimentTagEntity)
        .insert(input.tags.map((t) => ({ experiment_id: experiment.experiment_id, key: t.key, value: t.value })));
    }
    experiment.tags = input.tags.map((t) =>
      Object.assign(new ExperimentTagEntity(), { experiment_id: experiment.experiment_id, ...t }),
    );
    return experiment;
  }
}
