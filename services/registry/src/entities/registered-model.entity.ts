import { Column, Entity, PrimaryColumn } from 'typeorm';

/** registry.registered_models: one row per model; the row every write of the model locks. */
@Entity({ schema: 'registry', name: 'registered_models' })
export class RegisteredModelEntity {
  @PrimaryColumn({ type: 'bigint' })
  model_key!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  user_id!: string | null;

  @Column({ type: 'bigint' })
  creation_time!: number;

  @Column({ type: 'bigint' })
  last_updated_time!: number;

  /** The highest version number ever issued (deleted versions keep theirs). */
  @Column({ type: 'integer' })
  last_version!: number;
}

/** registry.registered_model_tags */
@Entity({ schema: 'registry', name: 'registered_model_tags' })
export class RegisteredModelTagEntity {
  @PrimaryColumn({ type: 'bigint' })
  model_key!: number;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  value!: string;
}

/** registry.registered_model_aliases */
@Entity({ schema: 'registry', name: 'registered_model_aliases' })
export class RegisteredModelAliasEntity {
  @PrimaryColumn({ type: 'bigint' })
  model_key!: number;

  @PrimaryColumn({ type: 'text' })
  alias!: string;

  @Column({ type: 'integer' })
  version!: number;
}
