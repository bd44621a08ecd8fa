import { z } from 'zod';
import { CairnError } from '@cairn/contracts';

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/**
 * Validates a request message (query for GET, JSON body otherwise) with
 * MLflow's wording: a missing required field, or a value of the wrong type,
 * is INVALID_PARAMETER_VALUE naming the parameter.
 */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new CairnError('BAD_REQUEST', 'Malformed request: the body must be a JSON object.');
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw CairnError.invalidParameter('Invalid request');
  const field = issue.path.join('.');
  const value = issue.path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    input,
  );
  if (value === undefined) {
    throw CairnError.invalidParameter(`Missing value for required parameter '${field}'. ${issue.message}`.trim());
  }
  throw CairnError.invalidParameter(
    `Invalid value ${describeValue(value)} for parameter '${field}' supplied: ${issue.message}`,
  );
}

/** Query strings carry everything as strings; a repeated key arrives as an array. */
export const queryString = z.preprocess((v: unknown) => (Array.isArray(v) ? (v as unknown[])[0] : v), z.string());
