import { z } from 'zod';
import { queryString, wire } from '../http/request-parsing';

/**
 * Requests of MLflow's model registry endpoints (model_registry.proto field
 * names). A JSON null is an absent field, as in protobuf JSON. Required
 * fields default to '' here and are reported by the registry service with
 * MLflow's wording ("Missing value for required parameter 'name'.").
 */

const MAX_TAGS = 1000;

/** A string field; null or absent → ''. */
export const text = z
  .string()
  .nullish()
  .transform((v) => v ?? '');

/** An optional string field; null or absent → undefined (presence matters, e.g. description). */
export const optionalText = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** Version numbers are strings in MLflow's JSON; a number is taken too. */
export const versionText = z
  .union([z.string(), z.number().int()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v)));

const tag = z.object({ key: text, value: text });
const tags = z
  .array(tag)
  .max(MAX_TAGS)
  .nullish()
  .transform((v) => v ?? []);

const flag = wire.bool.nullish().transform((v) => v ?? false);

/** Query-string fields (GET, and DELETE when the fields come in the query). */
const q = queryString.optional().transform((v) => v ?? '');

export const createRegisteredModelBody = z.object({ name: text, tags, description: optionalText });

export const renameRegisteredModelBody = z.object({ name: text, new_name: text });

export const updateRegisteredModelBody = z.object({ name: text, description: optionalText });

export const nameOnly = z.object({ name: text });

export const nameQuery = z.object({ name: q });

export const searchQuery = z.object({
  filter: q,
  max_results: wire.int64.optional().transform((v) => v ?? 0),
  order_by: wire.repeated.optional().transform((v) => v ?? []),
  page_token: q,
});

export const latestVersionsBody = z.object({
  name: text,
  stages: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
});

export const latestVersionsQuery = z.object({
  name: q,
  stages: wire.repeated.optional().transform((v) => v ?? []),
});

export const setRegisteredModelTagBody = z.object({ name: text, key: text, value: text });

export const deleteRegisteredModelTagBody = z.object({ name: text, key: text });

export const setAliasBody = z.object({ name: text, alias: text, version: versionText });

export const aliasBody = z.object({ name: text, alias: text });

export const aliasQuery = z.object({ name: q, alias: q });

export const createModelVersionBody = z.object({
  name: text,
  source: text,
  run_id: optionalText,
  tags,
  run_link: optionalText,
  description: optionalText,
  model_id: optionalText,
});

export const updateModelVersionBody = z.object({ name: text, version: versionText, description: optionalText });

export const transitionStageBody = z.object({
  name: text,
  version: versionText,
  stage: text,
  archive_existing_versions: flag,
});

export const versionBody = z.object({ name: text, version: versionText });

export const versionQuery = z.object({ name: q, version: q });

export const setModelVersionTagBody = z.object({ name: text, version: versionText, key: text, value: text });

export const deleteModelVersionTagBody = z.object({ name: text, version: versionText, key: text });

/**
 * DELETE requests: MLflow's client sends a JSON body, the databricks-sdk a
 * query string; take both (the body wins), repeated query keys → first value.
 */
export function deleteInput(query: unknown, body: unknown): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  if (query !== null && typeof query === 'object') {
    for (const [k, v] of Object.entries(query as Record<string, unknown>)) merged[k] = Array.isArray(v) ? (v as unknown[])[0] : v;
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) Object.assign(merged, body);
  return merged;
}
