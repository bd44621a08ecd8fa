import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { IdentityRepository, TokenRow, UserRow } from '../repositories/identity.repository';
import { PermissionsRepository } from '../repositories/permissions.repository';
import { Authenticator } from './authenticator';
import { mlflowLevel } from './levels';
import { Principal } from './principal';
import { hashPassword, hashToken, newApiToken } from './secrets';

const NAME = /^[^\s/][^\n\r\t]{0,255}$/;

function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw CairnError.invalidParameter(`Missing value for required parameter '${what}'.`);
  if (!NAME.test(value)) throw CairnError.invalidParameter(`Invalid ${what} '${value.slice(0, 100)}'`);
  return value;
}

function checkPassword(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw CairnError.invalidParameter("Missing value for required parameter 'password'.");
  if (value.length > 1024) throw CairnError.invalidParameter('Password too long');
  return value;
}

export interface JsonUser {
  id: number;
  username: string;
  is_admin: boolean;
  experiment_permissions: { experiment_id: string; user_id: number; permission: string }[];
  registered_model_permissions: { name: string; user_id: number; permission: string }[];
  scorer_permissions: never[];
}

export interface JsonToken {
  id: string;
  username: string;
  token_prefix: string;
  description?: string;
  creation_timestamp: number;
  expiry_timestamp?: number;
  last_used_timestamp?: number;
  revoked: boolean;
}

/** Users (MLflow's auth-app API), groups and API tokens; the configured admin is ensured at start-up. */
@Injectable()
export class IdentityService implements OnModuleInit {
  constructor(
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
    private readonly identity: IdentityRepository,
    private readonly permissions: PermissionsRepository,
    private readonly authenticator: Authenticator,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const admin = this.config.security.admin;
    if (admin) {
      await this.identity.upsertAdmin(admin.username, await hashPassword(admin.password));
      this.logger.info({ admin: admin.username }, 'admin user ensured');
    }
  }

  async createUser(username: unknown, password: unknown): Promise<JsonUser> {
    const name = checkName('username', username);
    const row = await this.identity.insertUser(name, await hashPassword(checkPassword(password)), false);
    if (!row) throw CairnError.alreadyExists(`User '${name}' already exists`);
    return this.toJson(row);
  }

  async getUser(username: unknown): Promise<JsonUser> {
    return this.toJson(await this.requireUser(username));
  }

  async listUsers(): Promise<JsonUser[]> {
    return Promise.all((await this.identity.listUsers()).map((u) => this.toJson(u)));
  }

  async updatePassword(username: unknown, password: unknown): Promise<void> {
    const user = await this.requireUser(username);
    await this.identity.updatePassword(user.username, await hashPassword(checkPassword(password)));
    this.authenticator.invalidate();
  }

  async updateAdmin(username: unknown, isAdmin: unknown): Promise<void> {
    const user = await this.requireUser(username);
    const flag = isAdmin === true || isAdmin === 'true' ? true : isAdmin === false || isAdmin === 'false' ? false : undefined;
    if (flag === undefined) throw CairnError.invalidParameter("Missing value for required parameter 'is_admin'.");
    await this.identity.updateAdmin(user.username, flag);
    this.authenticator.invalidate();
  }

  async deleteUser(username: unknown): Promise<void> {
    const user = await this.requireUser(username);
    if (user.username === this.config.security.admin?.username) {
      throw CairnError.invalidParameter(`User '${user.username}' is the configured admin (CAIRN_ADMIN_USERNAME) and cannot be deleted`);
    }
    await this.identity.deleteUser(user.username);
    this.authenticator.invalidate();
  }

  async requireUser(username: unknown): Promise<UserRow> {
    const name = typeof username === 'string' ? username : '';
    if (name === '') throw CairnError.invalidParameter("Missing value for required parameter 'username'.");
    const user = await this.identity.findUser(name);
    if (!user) throw CairnError.notFound(`User with username=${name} not found`);
    return user;
  }

  // ---- groups

  async createGroup(name: unknown, description: unknown): Promise<{ name: string; description?: string; members: string[] }> {
    const group = checkName('name', name);
    const text = typeof description === 'string' && description !== '' ? description : null;
    if (!(await this.identity.insertGroup(group, text))) throw CairnError.alreadyExists(`Group '${group}' already exists`);
    return { name: group, ...(text !== null ? { description: text } : {}), members: [] };
  }

  async listGroups(): Promise<{ name: string; description?: string; members: string[] }[]> {
    return (await this.identity.listGroups()).map((g) => ({
      name: g.name,
      ...(g.description !== null ? { description: g.description } : {}),
      members: g.members,
    }));
  }

  async getGroup(name: string): Promise<{ name: string; description?: string; members: string[] }> {
    const [group] = await this.identity.listGroups(name);
    if (!group) throw CairnError.notFound(`Group '${name}' not found`);
    return { name: group.name, ...(group.description !== null ? { description: group.description } : {}), members: group.members };
  }

  async deleteGroup(name: string): Promise<void> {
    if (!(await this.identity.deleteGroup(name))) throw CairnError.notFound(`Group '${name}' not found`);
    this.authenticator.invalidate();
  }

  async addMember(group: string, username: unknown): Promise<void> {
    await this.getGroup(group);
    const user = await this.requireUser(username);
    await this.identity.addMember(group, user.username);
    this.authenticator.invalidate();
  }

  async removeMember(group: string, username: string): Promise<void> {
    if (!(await this.identity.removeMember(group, username))) {
      throw CairnError.notFound(`User '${username}' is not a member of group '${group}'`);
    }
    this.authenticator.invalidate();
  }

  // ---- API tokens

  /** Creates a token for the caller (or, for an admin, for any user); the token itself is shown once. */
  async createToken(
    caller: Principal,
    request: { username?: unknown; description?: unknown; expiry_timestamp?: unknown; lifetime_seconds?: unknown },
  ): Promise<{ token: string; token_info: JsonToken }> {
    const owner = typeof request.username === 'string' && request.username !== '' ? request.username : caller.username;
    if (owner !== caller.username && !caller.isAdmin) throw denied('Only an admin may create tokens for another user');
    const user = await this.identity.findUser(owner);
    if (!user) throw CairnError.notFound(`User with username=${owner} not found`);
    let expires: Date | null = null;
    if (request.expiry_timestamp !== undefined && request.expiry_timestamp !== null) {
      const ms = Number(request.expiry_timestamp);
      if (!Number.isSafeInteger(ms) || ms <= Date.now()) throw CairnError.invalidParameter('expiry_timestamp must be a future time in milliseconds');
      expires = new Date(ms);
    } else if (request.lifetime_seconds !== undefined && request.lifetime_seconds !== null) {
      const s = Number(request.lifetime_seconds);
      if (!Number.isSafeInteger(s) || s <= 0) throw CairnError.invalidParameter('lifetime_seconds must be a positive integer');
      expires = new Date(Date.now() + s * 1000);
    }
    const description = typeof request.description === 'string' && request.description !== '' ? request.description.slice(0, 1000) : null;
    const token = newApiToken();
    const row = await this.identity.insertToken(randomUUID(), owner, hashToken(token), token.slice(0, 12), description, expires);
    return { token, token_info: tokenJson(row) };
  }

  async listTokens(caller: Principal, username: string | undefined): Promise<JsonToken[]> {
    const who = username ?? (caller.isAdmin ? undefined : caller.username);
    if (who !== caller.username && !caller.isAdmin) throw denied('Only an admin may list the tokens of another user');
    return (await this.identity.listTokens(who)).map(tokenJson);
  }

  async revokeToken(caller: Principal, id: string): Promise<void> {
    const row = await this.identity.findToken(id);
    if (!row || (row.username !== caller.username && !caller.isAdmin)) throw CairnError.notFound(`Token '${id}' not found`);
    await this.identity.revokeToken(id);
    this.authenticator.invalidate();
  }

  private async toJson(u: UserRow): Promise<JsonUser> {
    const grants = await this.permissions.listOfUser(u.username);
    return {
      id: Number(u.id),
      username: u.username,
      is_admin: u.is_admin,
      experiment_permissions: grants
        .filter((g) => g.resource_type === 'experiment')
        .map((g) => ({ experiment_id: g.resource_id, user_id: Number(u.id), permission: mlflowLevel(g.level) })),
      registered_model_permissions: grants
        .filter((g) => g.resource_type === 'registered_model')
        .map((g) => ({ name: g.resource_id, user_id: Number(u.id), permission: mlflowLevel(g.level) })),
      scorer_permissions: [],
    };
  }
}

function tokenJson(r: TokenRow): JsonToken {
  return {
    id: r.id,
    username: r.username,
    token_prefix: r.token_prefix,
    ...(r.description !== null ? { description: r.description } : {}),
    creation_timestamp: new Date(r.created_at).getTime(),
    ...(r.expires_at !== null ? { expiry_timestamp: new Date(r.expires_at).getTime() } : {}),
    ...(r.last_used_at !== null ? { last_used_timestamp: new Date(r.last_used_at).getTime() } : {}),
    revoked: r.revoked_at !== null,
  };
}

function denied(message: string): CairnError {
  return new CairnError('PERMISSION_DENIED', message);
}
