/**
 * A double in MLflow's JSON. JSON has no NaN or Infinity and JSON.stringify
 * writes them as null, which the MLflow client would read back as None.
 * MLflow answers with protobuf's JSON mapping, which writes non-finite doubles
 * as the strings "NaN", "Infinity" and "-Infinity" (and its parser reads them
 * back). Every metric value Cairn sends goes through `jsonDouble` (search
 * pages, rendered by PostgreSQL, follow the same rule in SQL).
 */
export type JsonDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export function jsonDouble(value: number): JsonDouble {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}
