import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { AuditService } from '../audit/audit.service';
import { actorFromRequest, USER_HEADER } from '../clients/registry.client';
import { Authenticator } from './authenticator';
import { Authorizer, field, fieldList, RequestFacts } from './authorizer';
import { PermissionsService } from './permissions.service';
import { ANONYMOUS_USER, Principal, principalOf, setPrincipal, unrestricted } from './principal';
import { RateLimiter } from './rate-limiter';
import { buildRuleTable, ResponseFilter, Rule, UNCLASSIFIED } from './route-rules';

export const REALM_HEADER = 'Basic realm="cairn"';

/** Fields named in the audit log's `target`, in this order, when the request carries them. */
const TARGET_FIELDS = [
  'experiment_id',
  'experiment_name',
  'run_id',
  'run_uuid',
  'model_id',
  'name',
  'new_name',
  'version',
  'stage',
  'alias',
  'key',
  'id',
  'webhook_id',
  'delivery_id',
  'token_id',
  'username',
  'group',
  'creator',
];

const RULE_KEY = Symbol.for('cairn.rule');

interface RuleHolder {
  [RULE_KEY]?: Rule;
}

/**
 * The one place requests meet security, as Fastify hooks (installed in
 * bootstrap.ts, around every route):
 *  - onRequest: authenticate (401 with WWW-Authenticate when credentials are
 *    missing or wrong), set the actor the registry client forwards, rate limit (429);
 *  - preHandler: authorize against the route's rule (403 PERMISSION_DENIED);
 *  - preSerialization: filter search responses to what the caller may read,
 *    grant the creator of an experiment or model MANAGE, move grants with a rename;
 *  - onSend: record mutating calls in the audit log; filter search responses
 *    the route sent already rendered (bytes).
 * With authentication off every caller is unrestricted and named by the
 * X-Cairn-User header (or "anonymous"); audit and rate limits still apply.
 */
@Injectable()
export class SecurityGate {
  private readonly rules = buildRuleTable();
  private readonly auth: boolean;
  private readonly warned = new Set<string>();

  constructor(
    @Inject(CAIRN_CONFIG) config: CairnConfig,
    private readonly authenticator: Authenticator,
    private readonly authorizer: Authorizer,
    private readonly permissions: PermissionsService,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.auth = config.security.auth;
  }

  /** The rule of a route (method + Fastify URL pattern); undefined when none is declared. */
  ruleFor(method: string, url: string | undefined): Rule | undefined {
    return url === undefined ? undefined : this.rules.get(`${method} ${url}`);
  }

  private resolveRule(request: FastifyRequest): Rule {
    const holder = request as unknown as RuleHolder;
    if (holder[RULE_KEY]) return holder[RULE_KEY];
    const url = request.routeOptions.url;
    // Unmatched URLs (answered 404) still need a signed-in caller: no probing the API anonymously.
    let rule = url === undefined ? { kind: 'authenticated' as const } : this.ruleFor(request.method, url);
    if (!rule) {
      const key = `${request.method} ${url}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.logger.error({ route: key }, 'route has no security rule (services/gateway/src/security/route-rules.ts): admins only');
      }
      rule = UNCLASSIFIED;
    }
    holder[RULE_KEY] = rule;
    return rule;
  }

  async onRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const rule = this.resolveRule(request);
    let principal: Principal;
    if (!this.auth) {
      principal = unrestricted(actorFromRequest(request));
    } else {
      delete request.headers[USER_HEADER];
      const result = await this.authenticator.authenticate(request.headers.authorization);
      if (result.ok) principal = result.principal;
      else if (rule.kind === 'public') principal = { username: ANONYMOUS_USER, isAdmin: false, groups: [], method: 'anonymous' };
      else {
        const error = new CairnError('UNAUTHENTICATED', result.message);
        await reply.code(401).header('www-authenticate', REALM_HEADER).header('content-type', 'application/json').send(error.toJSON());
        return;
      }
      // The registry client names the actor from this header (clients/registry.client.ts).
      request.headers[USER_HEADER] = principal.username;
    }
    setPrincipal(request, principal);
    if (rule.kind === 'public' || !this.limiter.enabled) return;
    const key = principal.tokenId !== undefined ? `token:${principal.tokenId}` : principal.method === 'anonymous' && !this.auth
      ? `ip:${request.ip}:${principal.username}`
      : `user:${principal.username}`;
    const decision = await this.limiter.hit(key);
    if (!decision.allowed) {
      const error = new CairnError('REQUEST_LIMIT_EXCEEDED', `Rate limit exceeded: retry after ${decision.retryAfterSeconds} s`);
      await reply
        .code(429)
        .header('retry-after', String(decision.retryAfterSeconds))
        .header('content-type', 'application/json')
        .send(error.toJSON());
    }
  }

  async preHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.auth) return;
    const principal = principalOf(request);
    if (!principal) return;
    try {
      await this.authorizer.check(this.resolveRule(request), principal, facts(request));
    } catch (err) {
      const error = err instanceof CairnError ? err : CairnError.internal('Authorization failed');
      if (!(err instanceof CairnError)) this.logger.error({ err: (err as Error).stack }, 'authorization failed');
      await reply.code(error.httpStatus).header('content-type', 'application/json').send(error.toJSON());
    }
  }

  async preSerialization(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (!this.auth || reply.statusCode >= 300 || payload === null || typeof payload !== 'object') return payload;
    const principal = principalOf(request);
    if (!principal) return payload;
    const rule = this.resolveRule(request);
    const body = payload as Record<string, unknown>;
    if (rule.after) await this.afterSuccess(rule, principal, request, body);
    if (!rule.filter || principal.isAdmin) return payload;
    return this.readableOnly(rule.filter, principal, body);
  }

  /** A search response with only what the principal may read in its list. */
  private async readableOnly(filter: ResponseFilter, principal: Principal, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const list = <T>(key: string): T[] => (Array.isArray(body[key]) ? (body[key] as T[]) : []);
    switch (filter) {
      case 'experiments':
        return { ...body, experiments: await this.authorizer.readable(principal, 'experiment', list<{ experiment_id?: string }>('experiments'), (e) => e.experiment_id) };
      case 'logged_models':
        return { ...body, models: await this.authorizer.readable(principal, 'experiment', list<{ info?: { experiment_id?: string } }>('models'), (m) => m.info?.experiment_id) };
      case 'registered_models':
        return { ...body, registered_models: await this.authorizer.readable(principal, 'registered_model', list<{ name?: string }>('registered_models'), (m) => m.name) };
      case 'model_versions':
        return { ...body, model_versions: await this.authorizer.readable(principal, 'registered_model', list<{ name?: string }>('model_versions'), (v) => v.name) };
    }
  }

  /**
   * Records the call (audit) and returns the body to send: a response body
   * the route sent already rendered (a Buffer of JSON: search pages, which
   * Fastify does not pass through preSerialization) is filtered here as
   * preSerialization filters objects.
   */
  async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    this.record(request, reply);
    if (!this.auth || reply.statusCode >= 300 || !Buffer.isBuffer(payload)) return payload;
    const principal = principalOf(request);
    const rule = this.resolveRule(request);
    if (!principal || !rule.filter || principal.isAdmin) return payload;
    const body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    return JSON.stringify(await this.readableOnly(rule.filter, principal, body));
  }

  private record(request: FastifyRequest, reply: FastifyReply): void {
    const rule = this.resolveRule(request);
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' || rule.readOnly || rule.kind === 'public') return;
    const principal = principalOf(request);
    this.audit.record({
      at: new Date(),
      username: principal?.username ?? actorFromRequest(request),
      authMethod: principal?.method ?? 'none',
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0] ?? request.url,
      target: targetOf(request),
      sourceAddress: request.ip ?? null,
      requestId: String(request.id),
      status: reply.statusCode,
    });
  }

  private async afterSuccess(rule: Rule, principal: Principal, request: FastifyRequest, body: Record<string, unknown>): Promise<void> {
    const f = facts(request);
    try {
      switch (rule.after) {
        case 'grant_experiment_creator': {
          const id = body.experiment_id;
          if (typeof id === 'string' && id !== '') await this.permissions.grantCreator('experiment', id, principal.username);
          return;
        }
        case 'grant_model_creator': {
          const name = (body.registered_model as { name?: unknown } | undefined)?.name ?? field(f, 'name');
          if (typeof name === 'string' && name !== '') await this.permissions.grantCreator('registered_model', name, principal.username);
          return;
        }
        case 'model_renamed': {
          const from = field(f, 'name');
          const to = field(f, 'new_name');
          if (from !== undefined && to !== undefined) await this.permissions.renamed('registered_model', from, to);
          return;
        }
        case 'model_deleted': {
          const name = field(f, 'name');
          if (name !== undefined) await this.permissions.deleted('registered_model', name);
          return;
        }
        default:
          return;
      }
    } catch (err) {
      this.logger.error({ err: (err as Error).message, after: rule.after }, 'permission bookkeeping after a successful call failed');
    }
  }
}

function facts(request: FastifyRequest): RequestFacts {
  return {
    method: request.method,
    rawUrl: request.raw.url ?? request.url,
    params: (request.params ?? {}) as Record<string, unknown>,
    query: (request.query ?? {}) as Record<string, unknown>,
    body: request.body,
  };
}

function targetOf(request: FastifyRequest): string | null {
  const f = facts(request);
  const parts: string[] = [];
  for (const name of TARGET_FIELDS) {
    const values = name === 'experiment_id' ? [...new Set([field(f, name), ...fieldList(f, 'experiment_ids')])] : [field(f, name)];
    for (const v of values) if (v !== undefined) parts.push(`${name}=${v.slice(0, 200)}`);
  }
  if (parts.length === 0 && /mlflow-artifacts\//.test(f.rawUrl)) parts.push(`path=${(f.rawUrl.split('?')[0] ?? '').replace(/^.*?mlflow-artifacts\/[^/]+\//, '').slice(0, 500)}`);
  return parts.length > 0 ? parts.join(' ').slice(0, 1000) : null;
}
