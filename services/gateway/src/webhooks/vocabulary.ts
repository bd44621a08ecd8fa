import { CloudEvent, EventType } from '@cairn/contracts';

/**
 * Cairn's events (libs/contracts/src/events.ts) in the two webhook
 * vocabularies: MLflow's entity.action events, and the managed registry's
 * event names. One CloudEvent can make several notifications (a transition
 * is both MODEL_VERSION_TRANSITIONED_STAGE and MODEL_VERSION_TRANSITIONED_TO_<STAGE>,
 * and archives other versions as a side effect).
 */

/** MLflow's events (without prompts), plus Cairn's own: run.finished, model_version_stage.transitioned, transition_request.created. */
export const MLFLOW_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'run.finished',
  'model_version_stage.transitioned',
  'transition_request.created',
] as const;
export type MlflowEvent = (typeof MLFLOW_EVENTS)[number];

export const REGISTRY_EVENTS = [
  'MODEL_VERSION_CREATED',
  'MODEL_VERSION_TRANSITIONED_STAGE',
  'TRANSITION_REQUEST_CREATED',
  'COMMENT_CREATED',
  'REGISTERED_MODEL_CREATED',
  'MODEL_VERSION_TAG_SET',
  'MODEL_VERSION_TRANSITIONED_TO_STAGING',
  'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION',
  'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED',
  'TRANSITION_REQUEST_TO_STAGING_CREATED',
  'TRANSITION_REQUEST_TO_PRODUCTION_CREATED',
  'TRANSITION_REQUEST_TO_ARCHIVED_CREATED',
] as const;
export type RegistryEvent = (typeof REGISTRY_EVENTS)[number];

/** The event types the dispatcher consumes. */
export const CONSUMED_TYPES: EventType[] = [
  'cairn.registry.registered_model.created.v1',
  'cairn.registry.registered_model.renamed.v1',
  'cairn.registry.model_version.created.v1',
  'cairn.registry.model_version.stage_transitioned.v1',
  'cairn.registry.transition_request.created.v1',
  'cairn.registry.comment.created.v1',
  'cairn.registry.model_version_tag.set.v1',
  'cairn.registry.model_version_tag.deleted.v1',
  'cairn.registry.model_version_alias.set.v1',
  'cairn.registry.model_version_alias.deleted.v1',
  'cairn.tracking.run.finished.v1',
];

export interface MlflowNotification {
  event: MlflowEvent;
  data: Record<string, unknown>;
}

export interface RegistryNotification {
  event: RegistryEvent;
  modelName: string;
  /** Distinguishes several notifications of one event with the same name. */
  key: string;
  fields: Record<string, unknown>;
}

const tagMap = (tags: { key: string; value: string }[]): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.key, t.value]));

function is<T extends EventType>(event: CloudEvent, type: T): event is CloudEvent<T> {
  return event.type === type;
}

export function mlflowNotifications(event: CloudEvent): MlflowNotification[] {
  if (is(event, 'cairn.registry.registered_model.created.v1')) {
    const d = event.data;
    return [{ event: 'registered_model.created', data: { name: d.name, tags: tagMap(d.tags), description: d.description } }];
  }
  if (is(event, 'cairn.registry.model_version.created.v1')) {
    const d = event.data;
    return [
      {
        event: 'model_version.created',
        data: { name: d.name, version: d.version, source: d.source, run_id: d.run_id, tags: tagMap(d.tags), description: d.description },
      },
    ];
  }
  if (is(event, 'cairn.registry.model_version_tag.set.v1')) {
    const d = event.data;
    return [{ event: 'model_version_tag.set', data: { name: d.name, version: d.version, key: d.key, value: d.value } }];
  }
  if (is(event, 'cairn.registry.model_version_tag.deleted.v1')) {
    const d = event.data;
    return [{ event: 'model_version_tag.deleted', data: { name: d.name, version: d.version, key: d.key } }];
  }
  if (is(event, 'cairn.registry.model_version_alias.set.v1')) {
    const d = event.data;
    return [{ event: 'model_version_alias.created', data: { name: d.name, alias: d.alias, version: d.version } }];
  }
  if (is(event, 'cairn.registry.model_version_alias.deleted.v1')) {
    const d = event.data;
    return [{ event: 'model_version_alias.deleted', data: { name: d.name, alias: d.alias } }];
  }
  if (is(event, 'cairn.registry.model_version.stage_transitioned.v1')) {
    const d = event.data;
    return [
      {
        event: 'model_version_stage.transitioned',
        data: { name: d.name, version: d.version, from_stage: d.from_stage, to_stage: d.to_stage, user_id: d.actor, via: d.via, comment: d.comment },
      },
    ];
  }
  if (is(event, 'cairn.registry.transition_request.created.v1')) {
    const d = event.data;
    return [
      {
        event: 'transition_request.created',
        data: { name: d.name, version: d.version, from_stage: d.from_stage, to_stage: d.to_stage, user_id: d.actor, comment: d.comment },
      },
    ];
  }
  if (is(event, 'cairn.tracking.run.finished.v1')) {
    const d = event.data;
    return [
      {
        event: 'run.finished',
        data: {
          experiment_id: d.experiment_id,
          run_id: d.run_id,
          run_name: d.run_name,
          user_id: d.user_id,
          status: d.status,
          start_time: d.start_time,
          end_time: d.end_time,
          metrics: d.latest_metrics,
        },
      },
    ];
  }
  return [];
}

const STAGE_SUFFIX: Record<string, 'STAGING' | 'PRODUCTION' | 'ARCHIVED' | undefined> = {
  Staging: 'STAGING',
  Production: 'PRODUCTION',
  Archived: 'ARCHIVED',
};

export function registryNotifications(event: CloudEvent): RegistryNotification[] {
  if (is(event, 'cairn.registry.registered_model.created.v1')) {
    const d = event.data;
    return [{ event: 'REGISTERED_MODEL_CREATED', modelName: d.name, key: '', fields: { model_name: d.name, user_id: d.actor, text: `Registered model ${d.name} was created by ${d.actor}.` } }];
  }
  if (is(event, 'cairn.registry.model_version.created.v1')) {
    const d = event.data;
    return [
      {
        event: 'MODEL_VERSION_CREATED',
        modelName: d.name,
        key: d.version,
        fields: { model_name: d.name, version: d.version, user_id: d.actor, text: `Version ${d.version} of model ${d.name} was created by ${d.actor}.` },
      },
    ];
  }
  if (is(event, 'cairn.registry.model_version.stage_transitioned.v1')) {
    const d = event.data;
    const moves = [
      { version: d.version, from: d.from_stage, to: d.to_stage, system: false },
      ...d.archived_versions.map((a) => ({ version: a.version, from: a.from_stage, to: 'Archived' as const, system: true })),
    ];
    return moves.flatMap((m) => {
      const text = m.system
        ? `Model ${d.name} version ${m.version} was moved from ${m.from} to Archived as a side effect of version ${d.version} moving to ${d.to_stage}.`
        : `Model ${d.name} version ${m.version} was moved from ${m.from} to ${m.to} by ${d.actor}.`;
      const fields = { model_name: d.name, version: m.version, from_stage: m.from, to_stage: m.to, user_id: d.actor, ...(m.system ? {} : { comment: d.comment }), text };
      const out: RegistryNotification[] = [{ event: 'MODEL_VERSION_TRANSITIONED_STAGE', modelName: d.name, key: m.version, fields }];
      const suffix = STAGE_SUFFIX[m.to];
      if (suffix) out.push({ event: `MODEL_VERSION_TRANSITIONED_TO_${suffix}`, modelName: d.name, key: m.version, fields });
      return out;
    });
  }
  if (is(event, 'cairn.registry.transition_request.created.v1')) {
    const d = event.data;
    const fields = {
      model_name: d.name,
      version: d.version,
      from_stage: d.from_stage,
      to_stage: d.to_stage,
      comment: d.comment,
      user_id: d.actor,
      request_id: d.request_id,
      text: `${d.actor} requested that model ${d.name} version ${d.version} move from ${d.from_stage} to ${d.to_stage}.`,
    };
    const out: RegistryNotification[] = [{ event: 'TRANSITION_REQUEST_CREATED', modelName: d.name, key: d.version, fields }];
    const suffix = STAGE_SUFFIX[d.to_stage];
    if (suffix) out.push({ event: `TRANSITION_REQUEST_TO_${suffix}_CREATED`, modelName: d.name, key: d.version, fields });
    return out;
  }
  if (is(event, 'cairn.registry.comment.created.v1')) {
    const d = event.data;
    return [
      {
        event: 'COMMENT_CREATED',
        modelName: d.name,
        key: d.comment_id,
        fields: { model_name: d.name, version: d.version, comment: d.comment, user_id: d.actor, text: `${d.actor} commented on model ${d.name} version ${d.version}: ${d.comment}` },
      },
    ];
  }
  if (is(event, 'cairn.registry.model_version_tag.set.v1')) {
    const d = event.data;
    return [
      {
        event: 'MODEL_VERSION_TAG_SET',
        modelName: d.name,
        key: `${d.version}:${d.key}`,
        fields: { model_name: d.name, version: d.version, tags: [{ key: d.key, value: d.value }], user_id: d.actor, text: `Tag ${d.key} was set on model ${d.name} version ${d.version}.` },
      },
    ];
  }
  return [];
}

/** The example payloads of the `test` calls. */
export function mlflowTestData(event: MlflowEvent): Record<string, unknown> {
  const base = { name: 'example_model', version: '1' };
  switch (event) {
    case 'registered_model.created':
      return { name: 'example_model', tags: { example_key: 'example_value' }, description: 'An example registered model' };
    case 'model_version.created':
      return { ...base, source: 'models:/m-00000000000000000000000000000000', run_id: null, tags: {}, description: null };
    case 'model_version_tag.set':
      return { ...base, key: 'example_key', value: 'example_value' };
    case 'model_version_tag.deleted':
      return { ...base, key: 'example_key' };
    case 'model_version_alias.created':
      return { ...base, alias: 'example_alias' };
    case 'model_version_alias.deleted':
      return { name: 'example_model', alias: 'example_alias' };
    case 'run.finished':
      return { experiment_id: '0', run_id: '0'.repeat(32), run_name: 'example', user_id: 'example', status: 'FINISHED', metrics: [] };
    case 'model_version_stage.transitioned':
    case 'transition_request.created':
      return { ...base, from_stage: 'None', to_stage: 'Staging', user_id: 'example', comment: null };
  }
}
