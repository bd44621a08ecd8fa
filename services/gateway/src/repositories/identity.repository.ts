import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string | null;
  is_admin: boolean;
}

export interface TokenRow {
  id: string;
  username: string;
  token_prefix: string;
  description: string | null;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface GroupRow {
  name: string;
  description: string | null;
  members: string[];
}

/** Users, groups and API tokens (gateway schema). */
@Injectable()
export class IdentityRepository {
  constructor(private readonly db: DataSource) {}

  async findUser(username: string): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow[]>(
      'SELECT id, username, password_hash, is_admin FROM gateway.users WHERE username = $1',
      [username],
    );
    return rows[0];
  }

  async listUsers(): Promise<UserRow[]> {
    return this.db.query<UserRow[]>('SELECT id, username, password_hash, is_admin FROM gateway.users ORDER BY username');
  }

  /** Inserts a user; undefined when the name is taken. */
  async insertUser(username: string, passwordHash: string | null, isAdmin: boolean): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow[]>(
      `INSERT INTO gateway.users (username, password_hash, is_admin) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO NOTHING RETURNING id, username, password_hash, is_admin`,
      [username, passwordHash, isAdmin],
    );
    return rows[0];
  }

  /** The configured admin: created, or its password and admin flag brought in line. */
  async upsertAdmin(username: string, passwordHash: string): Promise<void> {
    await this.db.query(
      `INSERT INTO gateway.users (username, password_hash, is_admin) VALUES ($1, $2, true)
       ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, is_admin = true, updated_at = now()`,
      [username, passwordHash],
    );
  }

  async updatePassword(username: string, passwordHash: string): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      'UPDATE gateway.users SET password_hash = $2, updated_at = now() WHERE username = $1',
      [username, passwordHash],
    );
    return affected > 0;
  }

  async updateAdmin(username: string, isAdmin: boolean): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      'UPDATE gateway.users SET is_admin = $2, updated_at = now() WHERE username = $1',
      [username, isAdmin],
    );
    return affected > 0;
  }

  /** Deletes the user, its tokens and memberships (cascade) and its grants. */
  async deleteUser(username: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      await m.query(`DELETE FROM gateway.permissions WHERE principal_type = 'user' AND principal = $1`, [username]);
      const [, affected] = await m.query<[unknown[], number]>('DELETE FROM gateway.users WHERE username = $1', [username]);
      return affected > 0;
    });
  }

  async groupsOf(username: string): Promise<string[]> {
    const rows = await this.db.query<{ group_name: string }[]>(
      'SELECT group_name FROM gateway.group_members WHERE username = $1 ORDER BY group_name',
      [username],
    );
    return rows.map((r) => r.group_name);
  }

  async insertGroup(name: string, description: string | null): Promise<boolean> {
    const rows = await this.db.query<unknown[]>(
      'INSERT INTO gateway.groups (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING name',
      [name, description],
    );
    return rows.length > 0;
  }

  async listGroups(name?: string): Promise<GroupRow[]> {
    return this.db.query<GroupRow[]>(
      `SELECT g.name, g.description,
              COALESCE(array_agg(m.username ORDER BY m.username) FILTER (WHERE m.username IS NOT NULL), '{}') AS members
       FROM gateway.groups g LEFT JOIN gateway.group_members m ON m.group_name = g.name
       WHERE $1::text IS NULL OR g.name = $1
       GROUP BY g.name, g.description ORDER BY g.name`,
      [name ?? null],
    );
  }

  async deleteGroup(name: string): Promise<boolean> {
    return this.db.transaction(async (m) => {
      await m.query(`DELETE FROM gateway.permissions WHERE principal_type = 'group' AND principal = $1`, [name]);
      const [, affected] = await m.query<[unknown[], number]>('DELETE FROM gateway.groups WHERE name = $1', [name]);
      return affected > 0;
    });
  }

  async addMember(group: string, username: string): Promise<void> {
    await this.db.query(
      'INSERT INTO gateway.group_members (group_name, username) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [group, username],
    );
  }

  async removeMember(group: string, username: string): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      'DELETE FROM gateway.group_members WHERE group_name = $1 AND username = $2',
      [group, username],
    );
    return affected > 0;
  }

  async insertToken(
    id: string,
    username: string,
    hash: string,
    prefix: string,
    description: string | null,
    expiresAt: Date | null,
  ): Promise<TokenRow> {
    const rows = await this.db.query<TokenRow[]>(
      `INSERT INTO gateway.api_tokens (id, username, token_hash, token_prefix, description, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, username, token_prefix, description, created_at, expires_at, last_used_at, revoked_at`,
      [id, username, hash, prefix, description, expiresAt],
    );
    return rows[0]!;
  }

  /** A usable token (not revoked, not expired) and its user. */
  async findActiveToken(hash: string): Promise<{ id: string; username: string; is_admin: boolean; expires_at: Date | null } | undefined> {
    const rows = await this.db.query<{ id: string; username: string; is_admin: boolean; expires_at: Date | null }[]>(
      `SELECT t.id, t.username, u.is_admin, t.expires_at
       FROM gateway.api_tokens t JOIN gateway.users u ON u.username = t.username
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [hash],
    );
    return rows[0];
  }

  async touchToken(id: string): Promise<void> {
    await this.db.query('UPDATE gateway.api_tokens SET last_used_at = now() WHERE id = $1', [id]);
  }

  async listTokens(username: string | undefined): Promise<TokenRow[]> {
    return this.db.query<TokenRow[]>(
      `SELECT id, username, token_prefix, description, created_at, expires_at, last_used_at, revoked_at
       FROM gateway.api_tokens WHERE $1::text IS NULL OR username = $1 ORDER BY created_at DESC, id`,
      [username ?? null],
    );
  }

  async findToken(id: string): Promise<TokenRow | undefined> {
    const rows = await this.db.query<TokenRow[]>(
      `SELECT id, username, token_prefix, description, created_at, expires_at, last_used_at, revoked_at
       FROM gateway.api_tokens WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async revokeToken(id: string): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown[], number]>(
      'UPDATE gateway.api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
      [id],
    );
    return affected > 0;
  }
}
