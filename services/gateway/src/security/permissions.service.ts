import { Inject, Injectable } from '@nestjs/common';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import { IdentityRepository } from '../repositories/identity.repository';
import { GrantRow, PermissionsRepository } from '../repositories/permissions.repository';
import {
  Level,
  maxLevel,
  MANAGED_LEVELS,
  managedLevel,
  mlflowLevel,
  parseManagedLevel,
  parseMlflowLevel,
  ResourceType,
} from './levels';
import { Principal } from './principal';

export interface ManagedAcl {
  object_id: string;
  object_type: string;
  access_control_list: {
    user_name?: string;
    group_name?: string;
    display_name?: string;
    all_permissions: { permission_level: string; inherited: boolean }[];
  }[];
}

interface AclEntryInput {
  user_name?: unknown;
  group_name?: unknown;
  service_principal_name?: unknown;
  permission_level?: unknown;
}

/**
 * The one permission model: effective levels (a user's own grant wins, else
 * the best of its groups' grants, else the configured default; admins and
 * unauthenticated deployments get everything), and both APIs that edit it.
 */
@Injectable()
export class PermissionsService {
  private readonly defaultLevel: Level;

  constructor(
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
    private readonly grants: PermissionsRepository,
    private readonly identity: IdentityRepository,
  ) {
    this.defaultLevel = config.security.defaultPermission;
  }

  async levelOn(principal: Principal, type: ResourceType, id: string): Promise<Level> {
    return (await this.levelsOn(principal, type, [id])).get(id) ?? this.defaultLevel;
  }

  /** Effective levels on many resources of one type, in one query. */
  async levelsOn(principal: Principal, type: ResourceType, ids: string[]): Promise<Map<string, Level>> {
    const unique = [...new Set(ids)];
    const result = new Map<string, Level>();
    if (principal.isAdmin || !this.config.security.auth) {
      for (const id of unique) result.set(id, 'MANAGE');
      return result;
    }
    const rows = await this.grants.grantsFor(type, unique, principal.username, principal.groups);
    const byId = new Map<string, GrantRow[]>();
    for (const row of rows) byId.set(row.resource_id, [...(byId.get(row.resource_id) ?? []), row]);
    for (const id of unique) {
      const found = byId.get(id) ?? [];
      const own = found.find((g) => g.principal_type === 'user');
      result.set(id, own?.level ?? maxLevel(found.map((g) => g.level)) ?? this.defaultLevel);
    }
    return result;
  }

  /** The creator of an experiment or registered model manages it. */
  async grantCreator(type: ResourceType, id: string, username: string): Promise<void> {
    await this.grants.upsert({ resource_type: type, resource_id: id, principal_type: 'user', principal: username, level: 'MANAGE' });
  }

  async renamed(type: ResourceType, from: string, to: string): Promise<void> {
    await this.grants.renameResource(type, from, to);
  }

  async deleted(type: ResourceType, id: string): Promise<void> {
    await this.grants.deleteResource(type, id);
  }

  // ---- MLflow's auth-app API: one user's grant on one resource.

  async mlflowCreate(type: ResourceType, id: string, username: unknown, permission: unknown): Promise<{ user_id: number; permission: string }> {
    const user = await this.user(username);
    const level = parseMlflowLevel(permission);
    const created = await this.grants.insert({ resource_type: type, resource_id: id, principal_type: 'user', principal: user.username, level });
    if (!created) {
      throw CairnError.alreadyExists(`Permission (${label(type)}=${id}, username=${user.username}) already exists`);
    }
    return { user_id: Number(user.id), permission: mlflowLevel(level) };
  }

  async mlflowGet(type: ResourceType, id: string, username: unknown): Promise<{ user_id: number; permission: string }> {
    const user = await this.user(username);
    const grant = await this.grants.find(type, id, 'user', user.username);
    if (!grant) throw CairnError.notFound(`Permission (${label(type)}=${id}, username=${user.username}) not found`);
    return { user_id: Number(user.id), permission: mlflowLevel(grant.level) };
  }

  async mlflowUpdate(type: ResourceType, id: string, username: unknown, permission: unknown): Promise<void> {
    const user = await this.user(username);
    const level = parseMlflowLevel(permission);
    const updated = await this.grants.update({ resource_type: type, resource_id: id, principal_type: 'user', principal: user.username, level });
    if (!updated) throw CairnError.notFound(`Permission (${label(type)}=${id}, username=${user.username}) not found`);
  }

  async mlflowDelete(type: ResourceType, id: string, username: unknown): Promise<void> {
    const user = await this.user(username);
    if (!(await this.grants.delete(type, id, 'user', user.username))) {
      throw CairnError.notFound(`Permission (${label(type)}=${id}, username=${user.username}) not found`);
    }
  }

  // ---- The managed registry's permission API: the whole access-control list of a resource.

  async managedGet(type: ResourceType, id: string): Promise<ManagedAcl> {
    const rows = await this.grants.listOn(type, id);
    return {
      object_id: `/${type === 'experiment' ? 'experiments' : 'registered-models'}/${id}`,
      object_type: type === 'experiment' ? 'mlflowExperiment' : 'registered-model',
      access_control_list: rows
        .filter((r) => r.level !== 'NO_PERMISSIONS')
        .map((r) => ({
          ...(r.principal_type === 'user' ? { user_name: r.principal } : { group_name: r.principal }),
          display_name: r.principal,
          all_permissions: [{ permission_level: managedLevel(r.level)!, inherited: false }],
        })),
    };
  }

  /** PUT replaces every grant; PATCH adds or changes the listed ones. */
  async managedSet(type: ResourceType, id: string, body: unknown, replace: boolean): Promise<ManagedAcl> {
    const list = (body as { access_control_list?: unknown } | undefined)?.access_control_list;
    if (!Array.isArray(list)) throw CairnError.invalidParameter("Missing value for required parameter 'access_control_list'.");
    const rows: GrantRow[] = [];
    for (const entry of list as AclEntryInput[]) {
      const level = parseManagedLevel(entry?.permission_level, type);
      if (typeof entry.user_name === 'string' && entry.user_name !== '') {
        const user = await this.user(entry.user_name);
        rows.push({ resource_type: type, resource_id: id, principal_type: 'user', principal: user.username, level });
      } else if (typeof entry.group_name === 'string' && entry.group_name !== '') {
        const [group] = await this.identity.listGroups(entry.group_name);
        if (!group) throw CairnError.notFound(`Group '${entry.group_name}' not found`);
        rows.push({ resource_type: type, resource_id: id, principal_type: 'group', principal: group.name, level });
      } else if (entry.service_principal_name !== undefined) {
        throw CairnError.invalidParameter('service_principal_name is not supported: use a user with an API token');
      } else {
        throw CairnError.invalidParameter('Each access control entry needs user_name or group_name');
      }
    }
    if (replace) await this.grants.replaceAll(type, id, rows);
    else for (const row of rows) await this.grants.upsert(row);
    return this.managedGet(type, id);
  }

  permissionLevels(type: ResourceType): { permission_levels: { permission_level: string; description: string }[] } {
    return { permission_levels: MANAGED_LEVELS[type] };
  }

  private async user(username: unknown) {
    const name = typeof username === 'string' ? username : '';
    if (name === '') throw CairnError.invalidParameter("Missing value for required parameter 'username'.");
    const user = await this.identity.findUser(name);
    if (!user) throw CairnError.notFound(`User with username=${name} not found`);
    return user;
  }
}

function label(type: ResourceType): string {
  return type === 'experiment' ? 'experiment_id' : 'name';
}
