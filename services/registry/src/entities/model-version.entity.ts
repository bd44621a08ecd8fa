import { Column, Entity, PrimaryColumn } from 'typeorm';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

export const VERSION_STATUSES = ['PENDING_REGISTRATION', 'READY', 'FAILED_REGISTRATION'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** registry.model_versions (read with the model's name joined in as `name`). */
@Entity({ schema: 'registry', name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryColumn({ type: 'bigint' })
  model_key!: number;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @Column({ type: 'bigint' })
  creation_time!: number;

  @Column({ type: 'bigint' })
  last_updated_time!: number;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  user_id!: string | null;

  @Column({ type: 'text' })
  current_stage!: Stage;

  @Column({ type: 'text' })
  source!: string;

  /** Where the files are (a run's or logged model's artifact URI resolved from `source`). */
  @Column({ type: 'text', nullable: true })
  storage_location!: string | null;

  @Column({ type: 'text', nullable: true })
  run_id!: string | null;

  @Column({ type: 'text', nullable: true })
  run_link!: string | null;

  @Column({ type: 'text', nullable: true })
  model_id!: string | null;

  @Column({ type: 'text' })
  status!: VersionStatus;

  @Column({ type: 'text', nullable: true })
  status_message!: string | null;

  /** The registered model's name (joined, not a column of this table). */
  name!: string;
}

/** registry.model_version_tags */
@Entity({ schema: 'registry', name: 'model_version_tags' })
export class ModelVersionTagEntity {
  @PrimaryColumn({ type: 'bigint' })
  model_key!: number;

  @PrimaryColumn({ type: 'integer' })
  version!: number;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}
