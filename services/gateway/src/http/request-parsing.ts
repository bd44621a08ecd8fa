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

/**
 * Wire types of MLflow's JSON (protobuf JSON mapping): int64 may arrive as a
 * number or a decimal string; doubles may be "NaN", "Infinity", "-Infinity";
 * query strings carry everything as strings. Each parses to the JS value.
 */
export const wire = {
  /** int64: a safe integer, from a number or a decimal string. */
  int64: z.preprocess(
    (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z.number().int().refine(Number.isSafeInteger, 'expected a 64-bit integer within ±2^53'),
  ),
  /** int32 from a number or a decimal string. */
  int32: z.preprocess(
    (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
    z.number().int().min(-2147483648).max(2147483647),
  ),
  /** double: numbers, plus protobuf JSON's "NaN" / "Infinity" / "-Infinity". */
  double: z.preprocess((v: unknown) => {
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
    return v;
  }, z.custom<number>((v) => typeof v === 'number', 'expected a number')),
  /** bool: true/false, or "true"/"false" in a query string. */
  bool: z.preprocess((v: unknown) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()),
  /** A query string's value list: a repeated key arrives as an array, a single one as a string. */
  repeated: z.preprocess((v: unknown): unknown => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(z.string())),
};
