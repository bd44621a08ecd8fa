import { z } from 'zod';

/**
 * Event contracts: CloudEvents 1.0 (structured JSON), one versioned type per
 * fact, one topic per domain. Events carry ids and small facts, never blobs.
 */
export const TOPICS = {
  tracking: 'cairn.tracking.v1',
  registry: 'cairn.registry.v1',
  artifacts: 'cairn.artifacts.v1',
  serving: 'cairn.serving.v1',
  gateway: 'cairn.gateway.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Dead-letter topic of a topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

const id = z.string().min(1).max(256);
const millis = z.number().int().nonnegative();

const metricSummary = z.object({ key: z.string(), value: z.number().nullable(), step: z.number().int(), timestamp: millis });

/**
 * Registry events (topic cairn.registry.v1, Kafka key = the registered model's
 * name). Every one names the actor it was done for. Stages: None, Staging,
 * Production, Archived.
 */
const modelName = z.string().min(1).max(1000);
const versionNumber = z.string().regex(/^\d+$/);
const stage = z.enum(['None', 'Staging', 'Production', 'Archived']);
const actor = z.string().min(1).max(1000);
const registryTag = z.object({ key: z.string(), value: z.string() });

const REGISTRY_EVENT_SCHEMAS = {
  'cairn.registry.registered_model.created.v1': z.object({
    name: modelName,
    description: z.string().nullable(),
    tags: z.array(registryTag),
    actor,
  }),
  'cairn.registry.registered_model.renamed.v1': z.object({ name: modelName, old_name: modelName, actor }),
  'cairn.registry.registered_model.deleted.v1': z.object({ name: modelName, actor }),
  'cairn.registry.model_version.created.v1': z.object({
    name: modelName,
    version: versionNumber,
    source: z.string(),
    run_id: z.string().nullable(),
    model_id: z.string().nullable(),
    status: z.enum(['PENDING_REGISTRATION', 'READY', 'FAILED_REGISTRATION']),
    status_message: z.string().nullable(),
    description: z.string().nullable(),
    tags: z.array(registryTag),
    actor,
  }),
  /** PENDING_REGISTRATION → READY / FAILED_REGISTRATION once the files are checked later. */
  'cairn.registry.model_version.status_changed.v1': z.object({
    name: modelName,
    version: versionNumber,
    status: z.enum(['READY', 'FAILED_REGISTRATION']),
    status_message: z.string().nullable(),
  }),
  /** Its tags, aliases (each with its own alias.deleted event) and activity went with it. */
  'cairn.registry.model_version.deleted.v1': z.object({ name: modelName, version: versionNumber, actor }),
  /** The event CI/CD hooks and serving react to. `archived_versions`: moved to Archived by the same transition. */
  'cairn.registry.model_version.stage_transitioned.v1': z.object({
    name: modelName,
    version: versionNumber,
    from_stage: stage,
    to_stage: stage,
    actor,
    archived_versions: z.array(z.object({ version: versionNumber, from_stage: stage })),
    /** How it happened: a direct transition, or the approval of a transition request. */
    via: z.enum(['transition', 'approved_request']),
    comment: z.string().nullable(),
  }),
  'cairn.registry.transition_request.created.v1': z.object({
    name: modelName,
    version: versionNumber,
    request_id: id,
    from_stage: stage,
    to_stage: stage,
    actor,
    comment: z.string().nullable(),
  }),
  'cairn.registry.transition_request.approved.v1': z.object({
    name: modelName,
    version: versionNumber,
    request_ids: z.array(id).min(1),
    to_stage: stage,
    actor,
    comment: z.string().nullable(),
  }),
  'cairn.registry.transition_request.rejected.v1': z.object({
    name: modelName,
    version: versionNumber,
    request_ids: z.array(id).min(1),
    to_stage: stage,
    actor,
    comment: z.string().nullable(),
  }),
  'cairn.registry.transition_request.cancelled.v1': z.object({
    name: modelName,
    version: versionNumber,
    request_id: id,
    to_stage: stage,
    creator: actor,
    actor,
    comment: z.string().nullable(),
  }),
  'cairn.registry.comment.created.v1': z.object({
    name: modelName,
    version: versionNumber,
    comment_id: id,
    comment: z.string(),
    actor,
  }),
  'cairn.registry.model_version_tag.set.v1': z.object({
    name: modelName,
    version: versionNumber,
    key: z.string().min(1),
    value: z.string(),
    actor,
  }),
  'cairn.registry.model_version_tag.deleted.v1': z.object({
    name: modelName,
    version: versionNumber,
    key: z.string().min(1),
    actor,
  }),
  'cairn.registry.model_version_alias.set.v1': z.object({
    name: modelName,
    alias: z.string().min(1),
    version: versionNumber,
    previous_version: versionNumber.nullable(),
    actor,
  }),
  'cairn.registry.model_version_alias.deleted.v1': z.object({
    name: modelName,
    alias: z.string().min(1),
    version: versionNumber,
    actor,
  }),
} as const;

/** One schema per event type, checked when an event is produced and when it is consumed. */
export const EVENT_SCHEMAS = {
  'cairn.tracking.experiment.created.v1': z.object({
    experiment_id: id,
    name: z.string().min(1),
    artifact_location: z.string(),
  }),
  'cairn.tracking.run.created.v1': z.object({
    experiment_id: id,
    run_id: id,
    run_name: z.string(),
    user_id: z.string(),
    start_time: millis,
  }),
  'cairn.tracking.run.finished.v1': z.object({
    experiment_id: id,
    run_id: id,
    run_name: z.string(),
    user_id: z.string(),
    status: z.enum(['FINISHED', 'FAILED', 'KILLED']),
    start_time: millis,
    end_time: millis,
    latest_metrics: z.array(metricSummary).max(1000),
  }),
  'cairn.tracking.logged_model.created.v1': z.object({
    experiment_id: id,
    model_id: id,
    name: z.string().min(1),
  }),
  ...REGISTRY_EVENT_SCHEMAS,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_SCHEMAS, value);
}

/** `cairn.<domain>.<...>.v1` → the domain's topic `cairn.<domain>.v1`. */
export function topicOf(type: EventType): Topic {
  const domain = type.split('.')[1] as keyof typeof TOPICS;
  return TOPICS[domain];
}

export const cloudEventEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().uuid(),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.string().datetime({ offset: true }),
  subject: z.string().min(1),
  datacontenttype: z.literal('application/json'),
  data: z.unknown(),
});

export interface CloudEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: EventData<T>;
}

export class EventValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventValidationError';
  }
}

/** Validates an envelope and its data against the type's schema. */
export function parseCloudEvent(raw: unknown): CloudEvent {
  const envelope = cloudEventEnvelope.safeParse(raw);
  if (!envelope.success) {
    throw new EventValidationError(`invalid CloudEvent envelope: ${z.prettifyError(envelope.error)}`);
  }
  const { type } = envelope.data;
  if (!isEventType(type)) throw new EventValidationError(`unknown event type '${type}'`);
  const data = EVENT_SCHEMAS[type].safeParse(envelope.data.data);
  if (!data.success) throw new EventValidationError(`invalid data for ${type}: ${z.prettifyError(data.error)}`);
  return { ...envelope.data, type, data: data.data };
}
