import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ExperimentEntity } from './experiment.entity';

@Entity({ schema: 'tracking', name: 'experiment_tags' })
export class ExperimentTagEntity {
  @PrimaryColumn({ type: 'bigint' })
  experiment_id!: number;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;

  @ManyToOne(() => ExperimentEntity, (experiment) => experiment.tags, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'experiment_id' })
  experiment?: ExperimentEntity;
}
