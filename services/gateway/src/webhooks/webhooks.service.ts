import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import { AttemptRow, DeliveryRow, WebhookRow, WebhooksRepository, WebhookStatus } from '../repositories/webhooks.repository';
import { Authorizer } from '../security/authorizer';
import { Principal } from '../security/principal';
import { DeliveryService } from './delivery.service';
import { SsrfError } from './ssrf';
import { MLFLOW_EVENTS, MlflowEvent, mlflowTestData, REGISTRY_EVENTS, RegistryEvent } from './vocabulary';

// ---- JSON shapes

export interface JsonMlflowWebhook {
  webhook_id: string;
  name: string;
  description?: string;
  url: string;
  events: { entity: string; action: string }[];
  status: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

export interface JsonRegistryWebhook {
  id: string;
  events: string[];
  model_name?: string;
  description?: string;
  status: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  http_url_spec: { url: string; enable_ssl_verification: boolean };
}

export interface JsonDelivery {
  delivery_id: string;
  webhook_id: string;
  event: string;
  event_id?: string;
  status: string;
  attempts: number;
  attempt_limit: number;
  creation_timestamp: number;
  delivered_timestamp?: number;
  next_attempt_timestamp?: number;
  last_status_code?: number;
  last_error?: string;
  attempt_log: { attempt: number; timestamp: number; status_code?: number; latency_ms: number; error?: string; response_snippet?: string }[];
}

const MAX_PAGE = 1000;
const ID = () => randomBytes(16).toString('hex');

function str(value: unknown, what: string, required: boolean, max = 1000): string | undefined {
  if (value === undefined || value === null || value === '') {
    if (required) throw CairnError.invalidParameter(`Missing value for required parameter '${what}'.`);
    return undefined;
  }
  if (typeof value !== 'string') throw CairnError.invalidParameter(`Invalid value for parameter '${what}': expected a string`);
  if (value.length > max) throw CairnError.invalidParameter(`Parameter '${what}' is longer than ${max} characters`);
  return value;
}

function pageToken(token: unknown): { at: string; id: string } | undefined {
  if (typeof token !== 'string' || token === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { at?: unknown; id?: unknown };
    if (typeof parsed.at === 'string' && typeof parsed.id === 'string') return { at: parsed.at, id: parsed.id };
  } catch {
    // fall through
  }
  throw CairnError.invalidParameter('Invalid page_token');
}

function nextToken(row: { created_at: Date; id: string } | undefined): string | undefined {
  return row ? Buffer.from(JSON.stringify({ at: new Date(row.created_at).toISOString(), id: row.id })).toString('base64url') : undefined;
}

function maxResults(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw CairnError.invalidParameter(`max_results must be between 1 and ${MAX_PAGE}`);
  return n;
}

function ssrf<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof SsrfError) throw CairnError.invalidParameter(err.message);
    throw err;
  });
}

/** MLflow's events as {entity, action} in either case; stored as `entity.action`. */
function parseMlflowEvents(value: unknown, required: boolean): MlflowEvent[] | undefined {
  if (value === undefined || value === null) {
    if (required) throw CairnError.invalidParameter("Missing value for required parameter 'events'.");
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) throw CairnError.invalidParameter('Webhook events cannot be empty');
  return [
    ...new Set(
      value.map((e: unknown) => {
        const part = (v: unknown): string => (typeof v === 'string' ? v : '');
        const raw = typeof e === 'string' ? e : `${part((e as { entity?: unknown })?.entity)}.${part((e as { action?: unknown })?.action)}`;
        const key = raw.toLowerCase();
        if (!(MLFLOW_EVENTS as readonly string[]).includes(key)) {
          throw CairnError.invalidParameter(`Invalid webhook event '${raw}'. Valid events are: ${MLFLOW_EVENTS.join(', ')}`);
        }
        return key as MlflowEvent;
      }),
    ),
  ];
}

function parseRegistryEvents(value: unknown, required: boolean): RegistryEvent[] | undefined {
  if (value === undefined || value === null) {
    if (required) throw CairnError.invalidParameter("Missing value for required parameter 'events'.");
    return undefined;
  }
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.length === 0) throw CairnError.invalidParameter('events must be a non-empty list');
  return [
    ...new Set(
      list.map((e: unknown) => {
        if (typeof e !== 'string' || !(REGISTRY_EVENTS as readonly string[]).includes(e)) {
          throw CairnError.invalidParameter(`Invalid event '${String(e)}'. Valid events are: ${REGISTRY_EVENTS.join(', ')}`);
        }
        return e as RegistryEvent;
      }),
    ),
  ];
}

function parseStatus(value: unknown, allowed: WebhookStatus[]): WebhookStatus | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' && (allowed as string[]).includes(value.toUpperCase())) return value.toUpperCase() as WebhookStatus;
  throw CairnError.invalidParameter(`Invalid status ${JSON.stringify(value)}. Valid statuses are: ${allowed.join(', ')}`);
}

/** Both webhook APIs over one table, and the delivery log. */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
    private readonly repository: WebhooksRepository,
    private readonly delivery: DeliveryService,
    private readonly authorizer: Authorizer,
  ) {}

  // ---- MLflow's /api/2.0/mlflow/webhooks

  async createMlflow(body: Record<string, unknown>, caller: Principal): Promise<{ webhook: JsonMlflowWebhook }> {
    const name = str(body.name, 'name', true, 256)!;
    const url = str(body.url, 'url', true, 2000)!;
    await ssrf(() => this.delivery.policy.checkUrl(url));
    const events = parseMlflowEvents(body.events, true)!;
    const secret = str(body.secret, 'secret', false);
    const row = await this.repository.insert({
      id: ID(),
      api: 'mlflow',
      name,
      description: str(body.description, 'description', false, 10_000) ?? null,
      url,
      events,
      model_name: null,
      status: parseStatus(body.status, ['ACTIVE', 'DISABLED']) ?? 'ACTIVE',
      secret_enc: secret !== undefined ? this.seal(secret) : null,
      authorization_enc: null,
      enable_ssl_verification: true,
      creator: caller.username,
    });
    return { webhook: mlflowJson(row) };
  }

  async listMlflow(query: Record<string, unknown>): Promise<{ webhooks: JsonMlflowWebhook[]; next_page_token?: string }> {
    const limit = maxResults(query.max_results, 100);
    const rows = await this.repository.list('mlflow', limit + 1, pageToken(query.page_token));
    const page = rows.slice(0, limit);
    const token = rows.length > limit ? nextToken(page[page.length - 1]) : undefined;
    return { webhooks: page.map(mlflowJson), ...(token ? { next_page_token: token } : {}) };
  }

  async getMlflow(id: string): Promise<{ webhook: JsonMlflowWebhook }> {
    return { webhook: mlflowJson(await this.require(id, 'mlflow')) };
  }

  async updateMlflow(id: string, body: Record<string, unknown>): Promise<{ webhook: JsonMlflowWebhook }> {
    await this.require(id, 'mlflow');
    const url = str(body.url, 'url', false, 2000);
    if (url !== undefined) await ssrf(() => this.delivery.policy.checkUrl(url));
    const secret = body.secret === undefined ? undefined : str(body.secret, 'secret', false);
    const row = await this.repository.update(id, {
      name: str(body.name, 'name', false, 256),
      description: body.description === undefined ? undefined : (str(body.description, 'description', false, 10_000) ?? null),
      url,
      events: parseMlflowEvents(body.events, false),
      status: parseStatus(body.status, ['ACTIVE', 'DISABLED']),
      secret_enc: body.secret === undefined ? undefined : secret !== undefined ? this.seal(secret) : null,
    });
    return { webhook: mlflowJson(row!) };
  }

  async deleteMlflow(id: string): Promise<Record<string, never>> {
    await this.require(id, 'mlflow');
    await this.repository.delete(id);
    return {};
  }

  async testMlflow(
    id: string,
    body: Record<string, unknown>,
  ): Promise<{ result: { success: boolean; response_status?: number; response_body?: string; error_message?: string } }> {
    const hook = await this.require(id, 'mlflow');
    const event = body.event !== undefined && body.event !== null ? parseMlflowEvents([body.event], true)![0]! : (hook.events[0] as MlflowEvent);
    const [entity, action] = event.split('.');
    const payload = JSON.stringify({ entity, action, timestamp: new Date().toISOString(), data: mlflowTestData(event) });
    const result = await this.delivery.sendNow(hook, event, payload);
    const success = result.statusCode !== null && result.statusCode < 400 && result.error === null;
    return {
      result: {
        success,
        ...(result.statusCode !== null ? { response_status: result.statusCode } : {}),
        ...(result.snippet !== null ? { response_body: result.snippet } : {}),
        ...(success ? {} : { error_message: `Failed to test webhook: ${result.error ?? 'unknown error'}` }),
      },
    };
  }

  // ---- The managed registry's /api/2.0/mlflow/registry-webhooks/*

  async createRegistry(body: Record<string, unknown>, caller: Principal): Promise<{ webhook: JsonRegistryWebhook }> {
    const events = parseRegistryEvents(body.events, true)!;
    const modelName = str(body.model_name, 'model_name', false);
    await this.mayManage(caller, modelName);
    if (modelName !== undefined && events.includes('REGISTERED_MODEL_CREATED')) {
      throw CairnError.invalidParameter('REGISTERED_MODEL_CREATED is only available to registry-wide webhooks (without model_name)');
    }
    const spec = (body.http_url_spec ?? {}) as Record<string, unknown>;
    if (body.job_spec !== undefined) throw CairnError.invalidParameter('job_spec webhooks are not supported: use http_url_spec');
    const url = str(spec.url, 'http_url_spec.url', true, 2000)!;
    await ssrf(() => this.delivery.policy.checkUrl(url));
    const secret = str(spec.secret, 'http_url_spec.secret', false);
    const authorization = str(spec.authorization, 'http_url_spec.authorization', false, 10_000);
    const row = await this.repository.insert({
      id: ID(),
      api: 'registry',
      name: null,
      description: str(body.description, 'description', false, 10_000) ?? null,
      url,
      events,
      model_name: modelName ?? null,
      status: parseStatus(body.status, ['ACTIVE', 'TEST_MODE', 'DISABLED']) ?? 'ACTIVE',
      secret_enc: secret !== undefined ? this.seal(secret) : null,
      authorization_enc: authorization !== undefined ? this.seal(authorization) : null,
      enable_ssl_verification: spec.enable_ssl_verification !== false,
      creator: caller.username,
    });
    return { webhook: registryJson(row) };
  }

  async updateRegistry(body: Record<string, unknown>, caller: Principal): Promise<{ webhook: JsonRegistryWebhook }> {
    const id = str(body.id, 'id', true)!;
    const hook = await this.require(id, 'registry');
    await this.mayManage(caller, hook.model_name ?? undefined);
    const events = parseRegistryEvents(body.events, false);
    if (hook.model_name !== null && events?.includes('REGISTERED_MODEL_CREATED')) {
      throw CairnError.invalidParameter('REGISTERED_MODEL_CREATED is only available to registry-wide webhooks (without model_name)');
    }
    const spec = body.http_url_spec as Record<string, unknown> | undefined;
    const url = spec ? str(spec.url, 'http_url_spec.url', false, 2000) : undefined;
    if (url !== undefined) await ssrf(() => this.delivery.policy.checkUrl(url));
    const secret = spec && spec.secret !== undefined ? str(spec.secret, 'http_url_spec.secret', false) : undefined;
    const authorization = spec && spec.authorization !== undefined ? str(spec.authorization, 'http_url_spec.authorization', false, 10_000) : undefined;
    const row = await this.repository.update(id, {
      events,
      description: body.description === undefined ? undefined : (str(body.description, 'description', false, 10_000) ?? null),
      status: parseStatus(body.status, ['ACTIVE', 'TEST_MODE', 'DISABLED']),
      url,
      secret_enc: spec && spec.secret !== undefined ? (secret !== undefined ? this.seal(secret) : null) : undefined,
      authorization_enc: spec && spec.authorization !== undefined ? (authorization !== undefined ? this.seal(authorization) : null) : undefined,
      enable_ssl_verification: spec && typeof spec.enable_ssl_verification === 'boolean' ? spec.enable_ssl_verification : undefined,
    });
    return { webhook: registryJson(row!) };
  }

  async listRegistry(query: Record<string, unknown>, caller: Principal): Promise<{ webhooks: JsonRegistryWebhook[]; next_page_token?: string }> {
    const limit = maxResults(query.max_results, 100);
    const modelName = str(Array.isArray(query.model_name) ? query.model_name[0] : query.model_name, 'model_name', false);
    const wanted = query.events === undefined ? undefined : parseRegistryEvents(Array.isArray(query.events) ? query.events : typeof query.events === 'string' ? query.events.split(',') : [query.events], false);
    let rows = await this.repository.list('registry', limit + 1, pageToken(query.page_token), modelName);
    const page = rows.slice(0, limit);
    const token = rows.length > limit ? nextToken(page[page.length - 1]) : undefined;
    rows = page.filter((r) => !wanted || r.events.some((e) => wanted.includes(e as RegistryEvent)));
    if (!caller.isAdmin && this.config.security.auth) {
      const manageable: WebhookRow[] = [];
      for (const r of rows) if (await this.canManage(caller, r.model_name ?? undefined)) manageable.push(r);
      rows = manageable;
    }
    return { webhooks: rows.map(registryJson), ...(token ? { next_page_token: token } : {}) };
  }

  async deleteRegistry(id: unknown, caller: Principal): Promise<Record<string, never>> {
    const hook = await this.require(str(id, 'id', true)!, 'registry');
    await this.mayManage(caller, hook.model_name ?? undefined);
    await this.repository.delete(hook.id);
    return {};
  }

  async testRegistry(body: Record<string, unknown>, caller: Principal): Promise<{ status_code?: number; body: string; webhook: { status_code?: number; body: string } }> {
    const hook = await this.require(str(body.id, 'id', true)!, 'registry');
    await this.mayManage(caller, hook.model_name ?? undefined);
    const event = body.event !== undefined ? parseRegistryEvents([body.event], true)![0]! : (hook.events[0] as RegistryEvent);
    const model = hook.model_name ?? 'example_model';
    const payload = JSON.stringify({
      event,
      webhook_id: hook.id,
      event_timestamp: Date.now(),
      model_name: model,
      version: '1',
      to_stage: 'Production',
      from_stage: 'Staging',
      text: `This is a test of webhook ${hook.id} (${event}) for model ${model}.`,
    });
    const result = await this.delivery.sendNow(hook, event, payload);
    const answer = { ...(result.statusCode !== null ? { status_code: result.statusCode } : {}), body: result.snippet ?? result.error ?? '' };
    return { ...answer, webhook: answer };
  }

  // ---- Cairn: the delivery log

  async deliveries(webhookId: string, query: Record<string, unknown>, caller: Principal): Promise<{ deliveries: JsonDelivery[]; next_page_token?: string }> {
    const hook = await this.require(webhookId);
    await this.mayAccess(caller, hook);
    const limit = maxResults(query.max_results, 50);
    const status = str(query.status, 'status', false);
    if (status !== undefined && !['pending', 'delivered', 'dead'].includes(status)) {
      throw CairnError.invalidParameter("status must be one of 'pending', 'delivered', 'dead'");
    }
    const rows = await this.repository.listDeliveries(hook.id, limit + 1, pageToken(query.page_token), status);
    const page = rows.slice(0, limit);
    const attempts = await this.repository.attemptsOf(page.map((d) => d.id));
    const token = rows.length > limit ? nextToken(page[page.length - 1]) : undefined;
    return { deliveries: page.map((d) => deliveryJson(d, attempts)), ...(token ? { next_page_token: token } : {}) };
  }

  async redeliver(deliveryId: string, caller: Principal): Promise<{ delivery: JsonDelivery }> {
    const found = await this.repository.findDelivery(deliveryId);
    if (!found) throw CairnError.notFound(`Delivery '${deliveryId}' not found`);
    const hook = await this.require(found.webhook_id);
    await this.mayAccess(caller, hook);
    if (found.status === 'pending') throw new CairnError('INVALID_STATE', `Delivery '${deliveryId}' is still pending`);
    if (found.event_id?.startsWith('test:')) throw CairnError.invalidParameter('Test deliveries cannot be redelivered: call test again');
    const row = await this.repository.redeliver(deliveryId, this.config.webhooks.maxAttempts);
    this.delivery.nudge();
    return { delivery: deliveryJson(row!, await this.repository.attemptsOf([deliveryId])) };
  }

  // ---- helpers

  private seal(secret: string): string {
    try {
      return this.delivery.sealSecret(secret);
    } catch (err) {
      throw CairnError.invalidParameter((err as Error).message);
    }
  }

  private async require(id: string, api?: 'mlflow' | 'registry'): Promise<WebhookRow> {
    const row = await this.repository.find(id, api);
    if (!row) throw CairnError.notFound(`Webhook with ID ${id} not found`);
    return row;
  }

  private async canManage(caller: Principal, modelName: string | undefined): Promise<boolean> {
    try {
      await this.mayManage(caller, modelName);
      return true;
    } catch {
      return false;
    }
  }

  /** A webhook on one model needs CAN_MANAGE on it; a registry-wide one needs admin. */
  private async mayManage(caller: Principal, modelName: string | undefined): Promise<void> {
    if (caller.isAdmin || !this.config.security.auth) return;
    if (modelName === undefined) throw new CairnError('PERMISSION_DENIED', 'Permission denied: registry-wide webhooks are for admins only');
    await this.authorizer.require(caller, 'registered_model', [modelName], 'MANAGE');
  }

  private async mayAccess(caller: Principal, hook: WebhookRow): Promise<void> {
    if (hook.api === 'mlflow') {
      if (!caller.isAdmin && this.config.security.auth) throw new CairnError('PERMISSION_DENIED', 'Permission denied: MLflow webhooks are for admins only');
      return;
    }
    await this.mayManage(caller, hook.model_name ?? undefined);
  }
}

function mlflowJson(r: WebhookRow): JsonMlflowWebhook {
  return {
    webhook_id: r.id,
    name: r.name ?? '',
    ...(r.description !== null ? { description: r.description } : {}),
    url: r.url,
    events: r.events.map((e) => {
      const [entity = '', action = ''] = e.split('.');
      return { entity: entity.toUpperCase(), action: action.toUpperCase() };
    }),
    status: r.status,
    creation_timestamp: new Date(r.created_at).getTime(),
    last_updated_timestamp: new Date(r.updated_at).getTime(),
  };
}

function registryJson(r: WebhookRow): JsonRegistryWebhook {
  return {
    id: r.id,
    events: r.events,
    ...(r.model_name !== null ? { model_name: r.model_name } : {}),
    ...(r.description !== null ? { description: r.description } : {}),
    status: r.status,
    creation_timestamp: new Date(r.created_at).getTime(),
    last_updated_timestamp: new Date(r.updated_at).getTime(),
    http_url_spec: { url: r.url, enable_ssl_verification: r.enable_ssl_verification },
  };
}

function deliveryJson(d: DeliveryRow, attempts: AttemptRow[]): JsonDelivery {
  const ms = (v: Date | null): number | undefined => (v === null ? undefined : new Date(v).getTime());
  return {
    delivery_id: d.id,
    webhook_id: d.webhook_id,
    event: d.event_type,
    ...(d.event_id !== null ? { event_id: d.event_id } : {}),
    status: d.status,
    attempts: d.attempts,
    attempt_limit: d.attempt_limit,
    creation_timestamp: new Date(d.created_at).getTime(),
    ...(d.delivered_at !== null ? { delivered_timestamp: ms(d.delivered_at) } : {}),
    ...(d.status === 'pending' && d.next_attempt_at !== null ? { next_attempt_timestamp: ms(d.next_attempt_at) } : {}),
    ...(d.last_status !== null ? { last_status_code: d.last_status } : {}),
    ...(d.last_error !== null ? { last_error: d.last_error } : {}),
    attempt_log: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        timestamp: new Date(a.started_at).getTime(),
        ...(a.status_code !== null ? { status_code: a.status_code } : {}),
        latency_ms: a.latency_ms,
        ...(a.error !== null ? { error: a.error } : {}),
        ...(a.response_snippet !== null ? { response_snippet: a.response_snippet } : {}),
      })),
  };
}
