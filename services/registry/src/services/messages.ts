import { registry } from '@cairn/contracts';
import { ActivityEntity } from '../entities/activity.entity';
import { ModelVersionEntity, ModelVersionTagEntity } from '../entities/model-version.entity';
import { RegisteredModelAliasEntity, RegisteredModelEntity, RegisteredModelTagEntity } from '../entities/registered-model.entity';

/** Rows → wire messages (MLflow's to_proto: absent values stay out of the JSON). */

function optional<T>(value: T | null | undefined): T | undefined {
  return value === null || value === undefined ? undefined : value;
}

function versionKey(modelKey: number, version: number): string {
  return `${modelKey}/${version}`;
}

/** Tags and aliases of versions, grouped for lookup. */
export class VersionExtras {
  private readonly tags = new Map<string, registry.ModelVersionTag[]>();
  private readonly aliases = new Map<string, string[]>();

  constructor(tags: readonly ModelVersionTagEntity[], aliases: readonly RegisteredModelAliasEntity[]) {
    for (const t of tags) {
      const k = versionKey(Number(t.model_key), Number(t.version));
      const list = this.tags.get(k) ?? [];
      list.push({ key: t.key, value: t.value });
      this.tags.set(k, list);
    }
    for (const a of aliases) {
      const k = versionKey(Number(a.model_key), Number(a.version));
      const list = this.aliases.get(k) ?? [];
      list.push(a.alias);
      this.aliases.set(k, list);
    }
  }

  tagsOf(v: ModelVersionEntity): registry.ModelVersionTag[] {
    return this.tags.get(versionKey(Number(v.model_key), Number(v.version))) ?? [];
  }

  aliasesOf(v: ModelVersionEntity): string[] {
    return this.aliases.get(versionKey(Number(v.model_key), Number(v.version))) ?? [];
  }
}

export function toModelVersion(v: ModelVersionEntity, extras: VersionExtras): registry.ModelVersion {
  return modelVersionMessage(v, extras.tagsOf(v), extras.aliasesOf(v));
}

/** A version with its tags (by key) and the aliases pointing at it (by name). */
function modelVersionMessage(
  v: ModelVersionEntity,
  tags: registry.ModelVersionTag[],
  aliases: string[],
): registry.ModelVersion {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: Number(v.creation_time),
    last_updated_timestamp: Number(v.last_updated_time),
    user_id: optional(v.user_id),
    current_stage: v.current_stage,
    description: optional(v.description),
    source: v.source,
    run_id: optional(v.run_id),
    status: v.status,
    status_message: optional(v.status_message) || undefined,
    tags,
    run_link: optional(v.run_link),
    aliases,
    model_id: optional(v.model_id),
  };
}

export function toRegisteredModel(
  m: RegisteredModelEntity,
  tags: readonly RegisteredModelTagEntity[],
  aliases: readonly RegisteredModelAliasEntity[],
  latest: readonly registry.ModelVersion[],
): registry.RegisteredModel {
  return {
    name: m.name,
    creation_timestamp: Number(m.creation_time),
    last_updated_timestamp: Number(m.last_updated_time),
    user_id: optional(m.user_id),
    // MLflow leaves an empty description out.
    description: m.description || undefined,
    latest_versions: [...latest],
    tags: tags.map((t) => ({ key: t.key, value: t.value })),
    aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
  };
}

/** What the caller may do with an activity (every open request may be approved or rejected until RBAC lands). */
export function availableActions(a: ActivityEntity, actor: string): string[] {
  if (a.activity_type === 'REQUESTED_TRANSITION' && a.request_state === 'OPEN') {
    const actions = ['APPROVE_TRANSITION_REQUEST', 'REJECT_TRANSITION_REQUEST'];
    if (a.user_id === actor) actions.push('CANCEL_TRANSITION_REQUEST');
    return actions;
  }
  if (a.activity_type === 'NEW_COMMENT' && a.user_id === actor) return ['EDIT_COMMENT', 'DELETE_COMMENT'];
  return [];
}

export function toActivity(a: ActivityEntity, actor: string): registry.Activity {
  return {
    id: a.id,
    activity_type: a.activity_type,
    from_stage: optional(a.from_stage),
    to_stage: optional(a.to_stage),
    comment: optional(a.comment),
    system_comment: optional(a.system_comment),
    user_id: a.user_id,
    creation_timestamp: Number(a.creation_time),
    last_updated_timestamp: Number(a.last_updated_time),
    available_actions: availableActions(a, actor),
    request_state: optional(a.request_state),
  };
}

export function toTransitionRequest(a: ActivityEntity, actor: string): registry.TransitionRequest {
  return {
    id: a.id,
    available_actions: availableActions(a, actor),
    comment: optional(a.comment),
    creation_timestamp: Number(a.creation_time),
    to_stage: a.to_stage ?? 'None',
    user_id: a.user_id,
    from_stage: optional(a.from_stage),
  };
}

export function toComment(a: ActivityEntity, actor: string): registry.CommentObject {
  return {
    id: a.id,
    available_actions: availableActions(a, actor),
    comment: a.comment ?? '',
    creation_timestamp: Number(a.creation_time),
    last_updated_timestamp: Number(a.last_updated_time),
    user_id: a.user_id,
  };
}

export function toModelVersionDatabricks(
  v: registry.ModelVersion,
  openRequests: readonly registry.Activity[],
): registry.ModelVersionDatabricks {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp,
    user_id: v.user_id,
    current_stage: v.current_stage,
    description: v.description,
    source: v.source,
    run_id: v.run_id,
    status: v.status,
    status_message: v.status_message,
    tags: v.tags,
    run_link: v.run_link,
    open_requests: [...openRequests],
  };
}
