import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Stage } from './model-version.entity';

export const ACTIVITY_TYPES = [
  'APPLIED_TRANSITION',
  'REQUESTED_TRANSITION',
  'CANCELLED_REQUEST',
  'APPROVED_REQUEST',
  'REJECTED_REQUEST',
  'NEW_COMMENT',
  'SYSTEM_TRANSITION',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export type RequestState = 'OPEN' | 'APPROVED' | 'REJECTED' | 'CANCELLED';

/**
 * registry.activities: the governance history of a version. A transition
 * request is its REQUESTED_TRANSITION row (request_state OPEN until approved,
 * rejected or cancelled); a comment is its NEW_COMMENT row.
 */
@Entity({ schema: 'registry', name: 'activities' })
export class ActivityEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'bigint' })
  seq!: number;

  @Column({ type: 'bigint' })
  model_key!: number;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  activity_type!: ActivityType;

  @Column({ type: 'text' })
  user_id!: string;

  @Column({ type: 'text', nullable: true })
  from_stage!: Stage | null;

  @Column({ type: 'text', nullable: true })
  to_stage!: Stage | null;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;

  @Column({ type: 'text', nullable: true })
  system_comment!: string | null;

  @Column({ type: 'text', nullable: true })
  request_state!: RequestState | null;

  @Column({ type: 'bigint' })
  creation_time!: number;

  @Column({ type: 'bigint' })
  last_updated_time!: number;
}
