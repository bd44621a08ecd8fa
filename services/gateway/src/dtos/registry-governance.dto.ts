import { z } from 'zod';
import { queryString, wire } from '../http/request-parsing';
import { optionalText, text, versionText } from './registry.dto';

/**
 * Requests of the managed registry's governance endpoints (transition
 * requests, comments) as the databricks-sdk sends them: JSON bodies, and
 * query strings for the DELETE and GET calls.
 */

const flag = wire.bool.nullish().transform((v) => v ?? false);
const q = queryString.optional().transform((v) => v ?? '');

export const createTransitionRequestBody = z.object({
  name: text,
  version: versionText,
  stage: text,
  comment: optionalText,
});

export const approveTransitionRequestBody = z.object({
  name: text,
  version: versionText,
  stage: text,
  archive_existing_versions: flag,
  comment: optionalText,
});

export const rejectTransitionRequestBody = createTransitionRequestBody;

/** DELETE transition-requests/delete: name, version, stage, creator, comment (query or body). */
export const deleteTransitionRequestInput = z.object({
  name: text,
  version: versionText,
  stage: text,
  creator: text,
  comment: optionalText,
});

export const listTransitionRequestsQuery = z.object({ name: q, version: q });

export const transitionStageDatabricksBody = approveTransitionRequestBody;

export const createCommentBody = z.object({ name: text, version: versionText, comment: text });

export const updateCommentBody = z.object({ id: text, comment: text });

export const commentIdInput = z.object({ id: text });

export const activityQuery = z.object({ name: q, version: q });
