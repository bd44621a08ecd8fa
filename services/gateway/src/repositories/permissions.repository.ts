import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Level, ResourceType } from '../security/levels';

export interface GrantRow {
  resource_type: ResourceType;
  resource_id: string;
  principal_type: 'user' | 'group';
  principal: string;
  level: Level;
}

/** Grants: (resource, user or group) → level. */
@Injectable()
export class PermissionsRepository {
  constructor(private readonly db: DataSource) {}

  /** The grants that apply to a user (directly or through its groups) on some resources of one type. */
  async grantsFor(type: ResourceType, ids: string[], username: string, groups: string[]): Promise<GrantRow[]> {
    if (ids.length === 0) return [];
    return this.db.query<GrantRow[]>(
      `SELECT resource_type, resource_id, principal_type, principal, level FROM gateway.permissions
       WHERE resource_type = $1 AND resource_id = ANY($2::text[])
         AND ((principal_type = 'user' AND principal = $3) OR (principal_type = 'group' AND principal = ANY($4::text[])))`,
      [type, ids, username, groups],
    );
  }

  async find(type: ResourceType, id: string, principalType: 'user' | 'group', principal: string): Promise<GrantRow | undefined> {
    const rows = await this.db.query<GrantRow[]>(
      `SELECT resource_type, resource_id, principal_type, principal, level FROM gateway.permissions
       WHERE resource_type = $1 AND resource_id = $2 AND principal_type = $3 AND principal = $4`,
      [type, id, principalType, principal],
    );
    return rows[0];
  }

  async listOn(type: ResourceType, id: string): Promise<GrantRow[]> {
    return this.db.query<GrantRow[]>(
      `SELECT resource_type, resource_id, principal_type, principal, level FROM gateway.permissions
       WHERE resource_type = $1 AND resource_id = $2 ORDER BY principal_type DESC, principal`,
      [type, id],
    );
  }

  async listOfUser(username: string): Promise<GrantRow[]> {
    return this.db.query<GrantRow[]>(
      `SELECT resource_type, resource_id, principal_type, principal, level FROM gateway.permissions
       WHERE principal_type = 'user' AND principal = $1 ORDER BY resource_type, resource_id`,
      [username],
    );
  }

  /** Inserts a grant; false when one exists already. */
  async insert(g: GrantRow): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      `INSERT INTO gateway.permissions (resource_type, resource_id, principal_type, principal, level)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
      [g.resource_type, g.resource_id, g.principal_type, g.principal, g.level],
    );
    return rows.length > 0;
  }

  async upsert(g: GrantRow): Promise<void> {
    await this.db.query(
      `INSERT INTO gateway.permissions (resource_type, resource_id, principal_type, principal, level)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (resource_type, resource_id, principal_type, principal)
       DO UPDATE SET level = EXCLUDED.level, updated_at = now()`,
      [g.resource_type, g.resource_id, g.principal_type, g.principal, g.level],
    );
  }

  async update(g: GrantRow): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      `UPDATE gateway.permissions SET level = $5, updated_at = now()
       WHERE resource_type = $1 AND resource_id = $2 AND principal_type = $3 AND principal = $4`,
      [g.resource_type, g.resource_id, g.principal_type, g.principal, g.level],
    );
    return affected > 0;
  }

  async delete(type: ResourceType, id: string, principalType: 'user' | 'group', principal: string): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      `DELETE FROM gateway.permissions WHERE resource_type = $1 AND resource_id = $2 AND principal_type = $3 AND principal = $4`,
      [type, id, principalType, principal],
    );
    return affected > 0;
  }

  /** Replaces every grant on a resource (the managed API's PUT). */
  async replaceAll(type: ResourceType, id: string, grants: GrantRow[]): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.query('DELETE FROM gateway.permissions WHERE resource_type = $1 AND resource_id = $2', [type, id]);
      for (const g of grants) {
        await m.query(
          `INSERT INTO gateway.permissions (resource_type, resource_id, principal_type, principal, level) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (resource_type, resource_id, principal_type, principal) DO UPDATE SET level = EXCLUDED.level`,
          [type, id, g.principal_type, g.principal, g.level],
        );
      }
    });
  }

  /** A registered model was renamed: its grants follow it. */
  async renameResource(type: ResourceType, from: string, to: string): Promise<void> {
    await this.db.query(
      `UPDATE gateway.permissions SET resource_id = $3, updated_at = now()
       WHERE resource_type = $1 AND resource_id = $2
         AND NOT EXISTS (SELECT 1 FROM gateway.permissions p2 WHERE p2.resource_type = $1 AND p2.resource_id = $3
                          AND p2.principal_type = gateway.permissions.principal_type AND p2.principal = gateway.permissions.principal)`,
      [type, from, to],
    );
  }

  async deleteResource(type: ResourceType, id: string): Promise<void> {
    await this.db.query('DELETE FROM gateway.permissions WHERE resource_type = $1 AND resource_id = $2', [type, id]);
  }
}
