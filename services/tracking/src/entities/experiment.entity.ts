import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { ExperimentTagEntity } from './experiment-tag.entity';

@Entity({ schema: 'tracking', name: 'experiments' })
export class ExperimentEntity {
  @PrimaryColumn({ type: 'bigint' })
  experiment_id!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  artifact_location!: string;

  @Column({ type: 'text' })
  lifecycle_stage!: 'active' | 'deleted';

  @Column({ type: 'bigint' })
  creation_time!: number;

  @Column({ type: 'bigint' })
  last_update_time!: number;

  @OneToMany(() => ExperimentTagEntity, (tag) => tag.experiment)
  tags?: ExperimentTagEntity[];
}
