import { Injectable } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { RegistryClient } from '../clients/registry.client';
import { TrackingClient } from '../clients/tracking.client';
import { ArtifactOperation, artifactRequestTarget } from '../services/artifact-paths';
import { atLeast, Level, ResourceType } from './levels';
import { PermissionsService } from './permissions.service';
import { Principal } from './principal';
import { ExperimentRef, Rule } from './route-rules';
import { TtlCache } from './ttl-cache';

/** What a rule looks at: the route's parameters, the query and the parsed JSON body. */
export interface RequestFacts {
  method: string;
  rawUrl: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

/** First value of a field: path parameters, then the body, then the query string. */
export function field(facts: RequestFacts, name: string): string | undefined {
  for (const source of [facts.params, bodyObject(facts.body), facts.query]) {
    const raw = source?.[name];
    const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** Every value of a list field (a JSON array or a repeated query key). */
export function fieldList(facts: RequestFacts, name: string): string[] {
  const out: string[] = [];
  for (const source of [bodyObject(facts.body), facts.query]) {
    const raw = source?.[name];
    for (const v of Array.isArray(raw) ? (raw as unknown[]) : raw === undefined ? [] : [raw]) {
      if (typeof v === 'string' && v !== '') out.push(v);
      else if (typeof v === 'number') out.push(String(v));
    }
  }
  return out;
}

function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && typeof (body as { pipe?: unknown }).pipe !== 'function'
    ? (body as Record<string, unknown>)
    : undefined;
}

const ARTIFACT_LEVEL: Record<ArtifactOperation, Level> = { read: 'READ', list: 'READ', write: 'EDIT', delete: 'MANAGE' };

function denied(message: string): CairnError {
  return new CairnError('PERMISSION_DENIED', message);
}

function isNotFound(err: unknown): boolean {
  return err instanceof CairnError && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'INVALID_PARAMETER_VALUE');
}

/**
 * Decides one request against its route's rule. Resolves what the request
 * names to the resource that carries permissions (a run or logged model to
 * its experiment, a version to its model's current stage); immutable
 * mappings are cached. A reference that does not resolve is let through, so
 * the handler answers its own 404 / 400.
 */
@Injectable()
export class Authorizer {
  /** run id / logged model id → experiment id (never changes). */
  private readonly owners = new TtlCache<string>(100_000, 10 * 60_000);

  constructor(
    private readonly permissions: PermissionsService,
    private readonly tracking: TrackingClient,
    private readonly registry: RegistryClient,
  ) {}

  async check(rule: Rule, principal: Principal, facts: RequestFacts): Promise<void> {
    if (principal.isAdmin) return;
    switch (rule.kind) {
      case 'public':
      case 'authenticated':
        return;
      case 'admin':
        throw denied('Permission denied: this API is for admins only');
      case 'self_or_admin': {
        const username = field(facts, 'username');
        if (username !== undefined && username !== principal.username) throw denied(`Permission denied: only an admin may act on user '${username}'`);
        return;
      }
      case 'experiment': {
        const ids = await this.experimentsOf(rule.ref, facts);
        await this.require(principal, 'experiment', ids, rule.level);
        return;
      }
      case 'model': {
        const name = field(facts, 'name');
        if (name !== undefined) await this.require(principal, 'registered_model', [name], rule.level);
        return;
      }
      case 'stage':
        return this.stageMove(principal, facts);
      case 'cancel_request': {
        const name = field(facts, 'name');
        const creator = field(facts, 'creator');
        if (name === undefined) return;
        await this.require(principal, 'registered_model', [name], creator === undefined || creator === principal.username ? 'READ' : 'MANAGE');
        return;
      }
      case 'artifact':
        return this.artifact(principal, facts);
    }
  }

  /** Throws PERMISSION_DENIED unless the principal has `level` on every resource. */
  async require(principal: Principal, type: ResourceType, ids: string[], level: Level): Promise<void> {
    if (ids.length === 0) return;
    const levels = await this.permissions.levelsOn(principal, type, ids);
    for (const id of ids) {
      const have = levels.get(id) ?? 'NO_PERMISSIONS';
      if (!atLeast(have, level)) {
        const what = type === 'experiment' ? `experiment ${id}` : `registered model '${id}'`;
        throw denied(`Permission denied: ${principal.username} needs ${level} on ${what}`);
      }
    }
  }

  /** Keeps the items whose resource the principal may read (search responses). */
  async readable<T>(principal: Principal, type: ResourceType, items: T[], idOf: (item: T) => string | undefined): Promise<T[]> {
    if (principal.isAdmin || items.length === 0) return items;
    const ids = items.map(idOf).filter((id): id is string => id !== undefined);
    const levels = await this.permissions.levelsOn(principal, type, ids);
    return items.filter((item) => {
      const id = idOf(item);
      return id !== undefined && atLeast(levels.get(id) ?? 'NO_PERMISSIONS', 'READ');
    });
  }

  private async experimentsOf(ref: ExperimentRef, facts: RequestFacts): Promise<string[]> {
    switch (ref) {
      case 'experiment_id':
        return [field(facts, 'experiment_id') ?? '0'];
      case 'experiment_ids':
        return [...new Set(fieldList(facts, 'experiment_ids'))];
      case 'experiment_name': {
        const name = field(facts, 'experiment_name');
        if (name === undefined) return [];
        try {
          const { experiment } = await this.tracking.call('getExperimentByName', { experiment_name: name });
          return experiment ? [experiment.experiment_id] : [];
        } catch (err) {
          if (isNotFound(err)) return [];
          throw err;
        }
      }
      case 'run_id': {
        const run = field(facts, 'run_id') ?? field(facts, 'run_uuid');
        return run === undefined ? [] : this.ownerOfRuns([run]);
      }
      case 'run_ids':
        return this.ownerOfRuns([...new Set([...fieldList(facts, 'run_id'), ...fieldList(facts, 'run_ids')])]);
      case 'logged_model': {
        const id = field(facts, 'model_id');
        if (id === undefined) return [];
        const cached = this.owners.get(`m:${id}`);
        if (cached !== undefined) return [cached];
        try {
          const { model } = await this.tracking.call('getLoggedModel', { model_id: id });
          const experimentId = model?.info?.experiment_id;
          if (experimentId === undefined) return [];
          this.owners.set(`m:${id}`, experimentId);
          return [experimentId];
        } catch (err) {
          if (isNotFound(err)) return [];
          throw err;
        }
      }
    }
  }

  private async ownerOfRuns(runIds: string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const runId of runIds) {
      const cached = this.owners.get(`r:${runId}`);
      if (cached !== undefined) {
        out.add(cached);
        continue;
      }
      try {
        const root = await this.tracking.call('getRunArtifactRoot', { run_id: runId });
        this.owners.set(`r:${runId}`, root.experiment_id);
        out.add(root.experiment_id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return [...out];
  }

  /**
   * Moving a version into or out of Production (directly, or by approving or
   * rejecting a request) needs CAN_MANAGE_PRODUCTION_VERSIONS; any other move
   * (among None, Staging, Archived) CAN_MANAGE_STAGING_VERSIONS.
   */
  private async stageMove(principal: Principal, facts: RequestFacts): Promise<void> {
    const name = field(facts, 'name');
    const version = field(facts, 'version');
    const stage = field(facts, 'stage');
    if (name === undefined) return;
    let from = '';
    if (version !== undefined) {
      try {
        const { model_version } = await this.registry.call('getModelVersion', { name, version }, principal.username);
        from = model_version?.current_stage ?? '';
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const production = [from, stage ?? ''].some((s) => s.toLowerCase() === 'production');
    await this.require(principal, 'registered_model', [name], production ? 'CAN_MANAGE_PRODUCTION_VERSIONS' : 'CAN_MANAGE_STAGING_VERSIONS');
  }

  /** An artifact path belongs to the experiment its first segment names; paths outside that layout are admin-only. */
  private async artifact(principal: Principal, facts: RequestFacts): Promise<void> {
    const target = artifactRequestTarget(facts.method, facts.rawUrl);
    if (!target) throw denied('Permission denied: unknown artifact route');
    const experimentId = target.scope.experimentId;
    if (experimentId === undefined) throw denied('Permission denied: only admins may access artifacts outside an experiment');
    await this.require(principal, 'experiment', [experimentId], ARTIFACT_LEVEL[target.operation]);
  }
}
