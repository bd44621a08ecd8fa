import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SearchQuery } from '../search';
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

  findById(experimentId: number, manager: EntityManager = this.dataSource.manager): Promise<ExperimentEntity | null> {
    return manager.getRepository(ExperimentEntity).findOne({
      where: { experiment_id: experimentId },
      relations: { tags: true },
    });
  }

  /** An active experiment of that name if there is one, else a deleted one (MLflow's preference). */
  async findByName(name: string): Promise<ExperimentEntity | null> {
    const found = await this.dataSource.getRepository(ExperimentEntity).find({
      where: { name },
      relations: { tags: true },
    });
    return found.find((e) => e.lifecycle_stage === 'active') ?? found[0] ?? null;
  }

  /** Experiments by id, with tags, in the order of `ids`. */
  async findManyOrdered(ids: number[]): Promise<ExperimentEntity[]> {
    if (ids.length === 0) return [];
    const rows = await this.dataSource
      .getRepository(ExperimentEntity)
      .createQueryBuilder('e')
      .leftJoinAndSelect('e.tags', 't')
      .where('e.experiment_id = ANY(:ids)', { ids })
      .getMany();
    const byId = new Map(rows.map((e) => [Number(e.experiment_id), e]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async searchIds(query: SearchQuery): Promise<number[]> {
    const rows = await this.dataSource.query<{ experiment_id: number | string }[]>(query.sql, query.params);
    return rows.map((r) => Number(r.experiment_id));
  }

  async nameExists(manager: EntityManager, name: string): Promise<boolean> {
    return (await manager.getRepository(ExperimentEntity).countBy({ name })) > 0;
  }

  /** Inserts an experiment and its tags in the caller's transaction; default artifact location uses the new id. */
  async insert(manager: EntityManager, input: NewExperiment): Promise<ExperimentEntity> {
    const [row] = await manager.query<{ id: number }[]>(`SELECT nextval('tracking.experiment_id_seq') AS id`);
    const id = Number(row?.id);
    const experiment = manager.getRepository(ExperimentEntity).create({
      experiment_id: id,
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
        .insert(input.tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value })));
    }
    experiment.tags = input.tags.map((t) => Object.assign(new ExperimentTagEntity(), { experiment_id: id, ...t }));
    return experiment;
  }

  /** Moves an experiment and its runs between lifecycle stages (delete / restore). */
  async setLifecycle(manager: EntityManager, experimentId: number, stage: 'active' | 'deleted', now: number): Promise<void> {
    await manager.query(
      `UPDATE tracking.experiments SET lifecycle_stage = $2, last_update_time = $3 WHERE experiment_id = $1`,
      [experimentId, stage, now],
    );
    await manager.query(
      `UPDATE tracking.runs SET lifecycle_stage = $2, deleted_time = CASE WHEN $2 = 'deleted' THEN $3::bigint ELSE NULL END
        WHERE experiment_id = $1 AND lifecycle_stage <> $2`,
      [experimentId, stage, now],
    );
  }

  async rename(manager: EntityManager, experimentId: number, name: string, now: number): Promise<void> {
    await manager.query(`UPDATE tracking.experiments SET name = $2, last_update_time = $3 WHERE experiment_id = $1`, [
      experimentId,
      name,
      now,
    ]);
  }

  async setTag(manager: EntityManager, experimentId: number, key: string, value: string): Promise<void> {
    await manager.query(
      `INSERT INTO tracking.experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (experiment_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [experimentId, key, value],
    );
  }

  /** Returns false when the experiment had no such tag. */
  async deleteTag(manager: EntityManager, experimentId: number, key: string): Promise<boolean> {
    // TypeORM answers DELETE/UPDATE with [rows, affectedCount].
    const [, affected] = await manager.query<[unknown[], number]>(
      `DELETE FROM tracking.experiment_tags WHERE experiment_id = $1 AND key = $2`,
      [experimentId, key],
    );
    return affected > 0;
  }
}
