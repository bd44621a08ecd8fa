import { ARTIFACT_PROXY_PREFIXES } from '../services/artifact-paths';
import { MLFLOW_PREFIXES, NOT_BUILT_YET, NOT_BUILT_YET_ABSOLUTE } from '../http/routes';
import type { Level } from './levels';

/**
 * Every route the gateway serves, with the rule that guards it. One global
 * hook (security.gate.ts) enforces these; controllers carry no security
 * decorators. test/security-routes.int-spec.ts boots the gateway, lists every
 * route Fastify registered, and fails for any route missing here: when you
 * add a route, add its line. A route without a rule is admin-only at run time
 * (and logged), never open.
 *
 * Rule kinds:
 *  - public: no authentication (health, version, metrics);
 *  - authenticated: any signed-in user (the handler or a response filter may narrow it);
 *  - admin: admins only;
 *  - experiment: a level on the experiment the request names (by id, name,
 *    run id, logged model id, or every id of a list);
 *  - model: a level on the registered model named by `name`;
 *  - stage: CAN_MANAGE_STAGING_VERSIONS / CAN_MANAGE_PRODUCTION_VERSIONS by
 *    the stages a version moves between (direct transitions, approvals, rejections);
 *  - cancel_request: the request's creator (READ), anyone else CAN_MANAGE;
 *  - artifact: the experiment (and run / logged model) the artifact path belongs to;
 *  - self_or_admin: a user acting on itself, or an admin.
 * `readOnly` marks a POST that changes nothing (not audited); GET/HEAD never are.
 */
export type ExperimentRef =
  | 'experiment_id'
  | 'experiment_name'
  | 'run_id'
  | 'logged_model'
  | 'experiment_ids'
  | 'run_ids';

export type ResponseFilter = 'experiments' | 'registered_models' | 'model_versions' | 'logged_models';
export type AfterSuccess = 'grant_experiment_creator' | 'grant_model_creator' | 'model_renamed' | 'model_deleted';

interface Common {
  readOnly?: boolean;
  filter?: ResponseFilter;
  after?: AfterSuccess;
  /** Why, for rules a reader could question. */
  note?: string;
}

export type Rule = Common &
  (
    | { kind: 'public' }
    | { kind: 'authenticated' }
    | { kind: 'admin' }
    | { kind: 'experiment'; ref: ExperimentRef; level: Level }
    | { kind: 'model'; level: Level }
    | { kind: 'stage' }
    | { kind: 'cancel_request' }
    | { kind: 'artifact' }
    | { kind: 'self_or_admin' }
  );

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const pub: Rule = { kind: 'public' };
const signedIn: Rule = { kind: 'authenticated' };
const admin: Rule = { kind: 'admin' };
const exp = (ref: ExperimentRef, level: Level, extra: Common = {}): Rule => ({ kind: 'experiment', ref, level, ...extra });
const model = (level: Level, extra: Common = {}): Rule => ({ kind: 'model', level, ...extra });

/** Routes under both MLflow prefixes (/api/2.0/mlflow, /ajax-api/2.0/mlflow). */
export const MLFLOW_ROUTE_RULES: [Method, string, Rule][] = [
  // experiments
  ['GET', 'experiments/get', exp('experiment_id', 'READ')],
  ['GET', 'experiments/get-by-name', exp('experiment_name', 'READ')],
  ['POST', 'experiments/create', { kind: 'authenticated', after: 'grant_experiment_creator' }],
  ['POST', 'experiments/search', { kind: 'authenticated', readOnly: true, filter: 'experiments' }],
  ['GET', 'experiments/search', { kind: 'authenticated', filter: 'experiments' }],
  ['POST', 'experiments/delete', exp('experiment_id', 'MANAGE')],
  ['POST', 'experiments/restore', exp('experiment_id', 'MANAGE')],
  ['POST', 'experiments/update', exp('experiment_id', 'EDIT')],
  ['POST', 'experiments/set-experiment-tag', exp('experiment_id', 'EDIT')],
  ['POST', 'experiments/delete-experiment-tag', exp('experiment_id', 'EDIT')],
  // runs
  ['POST', 'runs/create', exp('experiment_id', 'EDIT')],
  ['GET', 'runs/get', exp('run_id', 'READ')],
  ['POST', 'runs/update', exp('run_id', 'EDIT')],
  ['POST', 'runs/delete', exp('run_id', 'MANAGE')],
  ['POST', 'runs/restore', exp('run_id', 'MANAGE')],
  ['POST', 'runs/log-metric', exp('run_id', 'EDIT')],
  ['POST', 'runs/log-parameter', exp('run_id', 'EDIT')],
  ['POST', 'runs/set-tag', exp('run_id', 'EDIT')],
  ['POST', 'runs/delete-tag', exp('run_id', 'EDIT')],
  ['POST', 'runs/log-batch', exp('run_id', 'EDIT')],
  ['POST', 'runs/log-inputs', exp('run_id', 'EDIT')],
  ['POST', 'runs/outputs', exp('run_id', 'EDIT')],
  ['POST', 'runs/log-model', exp('run_id', 'EDIT')],
  // No response filter: READ is required on every experiment searched, and a page only holds
  // runs of those (its JSON leaves tracking rendered, as bytes the gateway does not parse).
  ['POST', 'runs/search', exp('experiment_ids', 'READ', { readOnly: true })],
  // metrics
  ['GET', 'metrics/get-history', exp('run_id', 'READ')],
  ['GET', 'metrics/get-history-bulk', exp('run_ids', 'READ')],
  ['GET', 'metrics/get-history-bulk-interval', exp('run_ids', 'READ')],
  // logged models
  ['POST', 'logged-models', exp('experiment_id', 'EDIT')],
  ['POST', 'logged-models/search', exp('experiment_ids', 'READ', { readOnly: true, filter: 'logged_models' })],
  ['GET', 'logged-models/:model_id', exp('logged_model', 'READ')],
  ['PATCH', 'logged-models/:model_id', exp('logged_model', 'EDIT')],
  ['DELETE', 'logged-models/:model_id', exp('logged_model', 'MANAGE')],
  ['PATCH', 'logged-models/:model_id/tags', exp('logged_model', 'EDIT')],
  ['DELETE', 'logged-models/:model_id/tags/:tag_key', exp('logged_model', 'EDIT')],
  ['POST', 'logged-models/:model_id/params', exp('logged_model', 'EDIT')],
  ['GET', 'logged-models/:model_id/artifacts/directories', exp('logged_model', 'READ')],
  // tracking's artifact listing
  ['GET', 'artifacts/list', exp('run_id', 'READ')],
  // registered models
  ['POST', 'registered-models/create', { kind: 'authenticated', after: 'grant_model_creator' }],
  ['POST', 'registered-models/rename', model('MANAGE', { after: 'model_renamed' })],
  ['PATCH', 'registered-models/update', model('EDIT')],
  ['DELETE', 'registered-models/delete', model('MANAGE', { after: 'model_deleted' })],
  ['GET', 'registered-models/get', model('READ')],
  ['GET', 'registered-models/search', { kind: 'authenticated', filter: 'registered_models' }],
  ['POST', 'registered-models/get-latest-versions', model('READ', { readOnly: true })],
  ['GET', 'registered-models/get-latest-versions', model('READ')],
  ['POST', 'registered-models/set-tag', model('EDIT')],
  ['DELETE', 'registered-models/delete-tag', model('EDIT')],
  ['POST', 'registered-models/alias', model('EDIT')],
  ['DELETE', 'registered-models/alias', model('MANAGE')],
  ['GET', 'registered-models/alias', model('READ')],
  // model versions
  ['POST', 'model-versions/create', model('EDIT')],
  ['PATCH', 'model-versions/update', model('EDIT')],
  ['POST', 'model-versions/transition-stage', { kind: 'stage' }],
  ['DELETE', 'model-versions/delete', model('MANAGE')],
  ['GET', 'model-versions/get', model('READ')],
  ['GET', 'model-versions/search', { kind: 'authenticated', filter: 'model_versions' }],
  ['GET', 'model-versions/get-download-uri', model('READ')],
  ['POST', 'model-versions/set-tag', model('EDIT')],
  ['DELETE', 'model-versions/delete-tag', model('EDIT')],
  ['GET', 'model-versions/activity', model('READ')],
  // managed registry governance
  ['POST', 'transition-requests/create', model('READ', { note: 'anyone who can read may request a transition' })],
  ['POST', 'transition-requests/approve', { kind: 'stage' }],
  ['POST', 'transition-requests/reject', { kind: 'stage' }],
  ['DELETE', 'transition-requests/delete', { kind: 'cancel_request' }],
  ['GET', 'transition-requests/list', model('READ')],
  ['POST', 'databricks/model-versions/transition-stage', { kind: 'stage' }],
  ['POST', 'comments/create', model('READ')],
  [
    'PATCH',
    'comments/update',
    { kind: 'authenticated', note: 'addressed by comment id only: the registry lets only its author (or an admin) change it' },
  ],
  [
    'DELETE',
    'comments/delete',
    { kind: 'authenticated', note: 'addressed by comment id only: the registry lets only its author (or an admin) change it' },
  ],
  // MLflow's webhooks are registry-wide: admins only (as in MLflow's auth app).
  ['POST', 'webhooks', admin],
  ['GET', 'webhooks', admin],
  ['GET', 'webhooks/:webhook_id', admin],
  ['PATCH', 'webhooks/:webhook_id', admin],
  ['DELETE', 'webhooks/:webhook_id', admin],
  ['POST', 'webhooks/:webhook_id/test', admin],
  // The managed registry's webhooks: CAN_MANAGE on the model, admin for registry-wide ones (checked by the webhooks service).
  ['POST', 'registry-webhooks/create', { kind: 'authenticated', note: 'webhooks service: CAN_MANAGE on model_name, or admin' }],
  ['PATCH', 'registry-webhooks/update', { kind: 'authenticated', note: 'webhooks service: CAN_MANAGE on its model, or admin' }],
  ['GET', 'registry-webhooks/list', { kind: 'authenticated', note: 'webhooks service lists what the caller manages' }],
  ['DELETE', 'registry-webhooks/delete', { kind: 'authenticated', note: 'webhooks service: CAN_MANAGE on its model, or admin' }],
  ['POST', 'registry-webhooks/test', { kind: 'authenticated', note: 'webhooks service: CAN_MANAGE on its model, or admin' }],
  // MLflow's auth app
  ['POST', 'users/create', admin],
  ['GET', 'users/get', { kind: 'self_or_admin' }],
  ['GET', 'users/list', admin],
  ['GET', 'users/current', signedIn],
  ['PATCH', 'users/update-password', { kind: 'self_or_admin' }],
  ['PATCH', 'users/update-admin', admin],
  ['DELETE', 'users/delete', admin],
  ['POST', 'experiments/permissions/create', exp('experiment_id', 'MANAGE')],
  ['GET', 'experiments/permissions/get', exp('experiment_id', 'MANAGE')],
  ['PATCH', 'experiments/permissions/update', exp('experiment_id', 'MANAGE')],
  ['DELETE', 'experiments/permissions/delete', exp('experiment_id', 'MANAGE')],
  ['POST', 'registered-models/permissions/create', model('MANAGE')],
  ['GET', 'registered-models/permissions/get', model('MANAGE')],
  ['PATCH', 'registered-models/permissions/update', model('MANAGE')],
  ['DELETE', 'registered-models/permissions/delete', model('MANAGE')],
];

/** Whole paths. */
export const ABSOLUTE_ROUTE_RULES: [Method, string, Rule][] = [
  ['GET', '/health', pub],
  ['GET', '/version', pub],
  ['GET', '/api/3.0/mlflow/server-info', pub],
  ['GET', '/ajax-api/3.0/mlflow/server-info', pub],
  ['GET', '/metrics', pub],
  // The managed registry's permission API (experiment id / registered model name in the path).
  ['GET', '/api/2.0/permissions/experiments/:experiment_id', exp('experiment_id', 'MANAGE')],
  ['PUT', '/api/2.0/permissions/experiments/:experiment_id', exp('experiment_id', 'MANAGE')],
  ['PATCH', '/api/2.0/permissions/experiments/:experiment_id', exp('experiment_id', 'MANAGE')],
  ['GET', '/api/2.0/permissions/experiments/:experiment_id/permissionLevels', signedIn],
  ['GET', '/api/2.0/permissions/registered-models/:name', model('MANAGE')],
  ['PUT', '/api/2.0/permissions/registered-models/:name', model('MANAGE')],
  ['PATCH', '/api/2.0/permissions/registered-models/:name', model('MANAGE')],
  ['GET', '/api/2.0/permissions/registered-models/:name/permissionLevels', signedIn],
  // Cairn's own APIs
  ['POST', '/api/2.0/cairn/tokens', { kind: 'authenticated', note: 'own tokens; admins for anyone' }],
  ['GET', '/api/2.0/cairn/tokens', { kind: 'authenticated', note: 'own tokens; admins for anyone' }],
  ['DELETE', '/api/2.0/cairn/tokens/:token_id', { kind: 'authenticated', note: 'own tokens; admins for anyone' }],
  ['POST', '/api/2.0/cairn/groups', admin],
  ['GET', '/api/2.0/cairn/groups', admin],
  ['GET', '/api/2.0/cairn/groups/:group', admin],
  ['DELETE', '/api/2.0/cairn/groups/:group', admin],
  ['POST', '/api/2.0/cairn/groups/:group/members', admin],
  ['DELETE', '/api/2.0/cairn/groups/:group/members/:username', admin],
  ['GET', '/api/2.0/cairn/audit-log', admin],
  ['GET', '/api/2.0/cairn/webhooks/:webhook_id/deliveries', { kind: 'authenticated', note: 'webhooks service: as for the webhook itself' }],
  [
    'POST',
    '/api/2.0/cairn/webhooks/deliveries/:delivery_id/redeliver',
    { kind: 'authenticated', note: 'webhooks service: as for the webhook itself' },
  ],
];

/** The artifact proxy, under /api/2.0 and /ajax-api/2.0. */
export const ARTIFACT_ROUTE_RULES: [Method, string, Rule][] = [
  ['GET', 'artifacts', { kind: 'artifact' }],
  ['GET', 'artifacts/*', { kind: 'artifact' }],
  ['PUT', 'artifacts/*', { kind: 'artifact' }],
  ['DELETE', 'artifacts/*', { kind: 'artifact' }],
  ['POST', 'mpu/create/*', { kind: 'artifact' }],
  ['PUT', 'mpu/upload-part/*', { kind: 'artifact' }],
  ['POST', 'mpu/complete/*', { kind: 'artifact' }],
  ['POST', 'mpu/abort/*', { kind: 'artifact' }],
  ['GET', 'presigned/*', { kind: 'artifact' }],
];

/** `METHOD /full/path/pattern` → rule, for every prefix; HEAD follows GET. */
export function buildRuleTable(): Map<string, Rule> {
  const table = new Map<string, Rule>();
  const add = (method: string, url: string, rule: Rule): void => {
    table.set(`${method} ${url}`, rule);
    if (method === 'GET') table.set(`HEAD ${url}`, rule);
  };
  for (const [method, path, rule] of MLFLOW_ROUTE_RULES) for (const p of MLFLOW_PREFIXES) add(method, `/${p}/${path}`, rule);
  for (const [method, path, rule] of ARTIFACT_ROUTE_RULES) for (const p of ARTIFACT_PROXY_PREFIXES) add(method, `/${p}/${path}`, rule);
  for (const [method, url, rule] of ABSOLUTE_ROUTE_RULES) add(method, url, rule);
  // Endpoints that answer 501 for now: signed-in users get the 501.
  for (const [method, path] of NOT_BUILT_YET) {
    for (const p of MLFLOW_PREFIXES) if (!table.has(`${method} /${p}/${path}`)) add(method, `/${p}/${path}`, signedIn);
  }
  for (const [method, url] of NOT_BUILT_YET_ABSOLUTE) if (!table.has(`${method} ${url}`)) add(method, url, signedIn);
  return table;
}

/** Fallback for a route without a rule: admins only (fail closed). */
export const UNCLASSIFIED: Rule = { kind: 'admin', note: 'no rule declared in route-rules.ts' };
