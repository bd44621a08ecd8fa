import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ActivityEntity, ActivityType, RequestState } from '../entities/activity.entity';
import { Stage } from '../entities/model-version.entity';

export interface NewActivity {
  modelKey: number;
  version: number;
  type: ActivityType;
  userId: string;
  fromStage?: Stage | null;
  toStage?: Stage | null;
  comment?: string | null;
  systemComment?: string | null;
  requestState?: RequestState | null;
  now: number;
}

const COLUMNS =
  'id, seq, model_key, version, activity_type, user_id, from_stage, to_stage, comment, system_comment,' +
  ' request_state, creation_time, last_updated_time';

/** registry.activities: transition requests, transitions, approvals, comments. */
@Injectable()
export class ActivitiesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, input: NewActivity): Promise<ActivityEntity> {
    const [row] = await manager.query<ActivityEntity[]>(
      `INSERT INTO registry.activities
         (id, model_key, version, activity_type, user_id, from_stage, to_stage, comment, system_comment, request_state,
          creation_time, last_updated_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       RETURNING ${COLUMNS}`,
      [
        randomUUID().replace(/-/g, ''),
        input.modelKey,
        input.version,
        input.type,
        input.userId,
        input.fromStage ?? null,
        input.toStage ?? null,
        input.comment ?? null,
        input.systemComment ?? null,
        input.requestState ?? null,
        input.now,
      ],
    );
    if (!row) throw new Error('activity insert returned no row');
    return row;
  }

  /** Open transition requests of a version, optionally to one stage and by one creator. */
  openRequests(
    manager: EntityManager | undefined,
    modelKey: number,
    version: number,
    filter: { toStage?: Stage; creator?: string } = {},
  ): Promise<ActivityEntity[]> {
    const params: unknown[] = [modelKey, version];
    let sql = `SELECT ${COLUMNS} FROM registry.activities
                WHERE model_key = $1 AND version = $2 AND request_state = 'OPEN'`;
    if (filter.toStage !== undefined) {
      params.push(filter.toStage);
      sql += ` AND to_stage = $${params.length}`;
    }
    if (filter.creator !== undefined) {
      params.push(filter.creator);
      sql += ` AND user_id = $${params.length}`;
    }
    return (manager ?? this.dataSource.manager).query<ActivityEntity[]>(`${sql} ORDER BY seq`, params);
  }

  async resolveRequests(manager: EntityManager, ids: readonly string[], state: RequestState, now: number): Promise<void> {
    await manager.query(
      `UPDATE registry.activities SET request_state = $2, last_updated_time = $3
        WHERE id = ANY($1::text[]) AND request_state = 'OPEN'`,
      [ids, state, now],
    );
  }

  /** Every activity of a version, oldest first. */
  history(modelKey: number, version: number): Promise<ActivityEntity[]> {
    return this.dataSource.query<ActivityEntity[]>(
      `SELECT ${COLUMNS} FROM registry.activities WHERE model_key = $1 AND version = $2 ORDER BY seq`,
      [modelKey, version],
    );
  }

  /** A comment (NEW_COMMENT activity) by id. */
  async findComment(id: string, manager?: EntityManager): Promise<ActivityEntity | null> {
    const [row] = await (manager ?? this.dataSource.manager).query<ActivityEntity[]>(
      `SELECT ${COLUMNS} FROM registry.activities WHERE id = $1 AND activity_type = 'NEW_COMMENT'`,
      [id],
    );
    return row ?? null;
  }

  async updateComment(manager: EntityManager, id: string, comment: string, now: number): Promise<ActivityEntity | null> {
    const [rows] = await manager.query<[ActivityEntity[], number]>(
      `UPDATE registry.activities SET comment = $2, last_updated_time = $3
        WHERE id = $1 AND activity_type = 'NEW_COMMENT' RETURNING ${COLUMNS}`,
      [id, comment, now],
    );
    return rows[0] ?? null;
  }

  async deleteComment(manager: EntityManager, id: string): Promise<boolean> {
    const [, affected] = await manager.query<[unknown[], number]>(
      `DELETE FROM registry.activities WHERE id = $1 AND activity_type = 'NEW_COMMENT'`,
      [id],
    );
    return affected > 0;
  }
}
