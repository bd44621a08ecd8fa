/**
 * PostgreSQL array literals for bulk statements (`unnest($1::text[], ...)`).
 *
 * node-postgres serialises a JS array parameter element by element in
 * JavaScript (a type dispatch, two regex replaces and quotes for every
 * element, numbers included). On a 1000-row batch that was a visible share of
 * the tracking service's CPU, so hot paths hand PostgreSQL the literal as one
 * string instead: numbers and booleans are joined natively, and text elements
 * are quoted, with `"` and `\` escaped only when an element holds one.
 * PostgreSQL parses the literal in C. Cast the parameter in SQL
 * (`$2::float8[]`); a literal string is not re-encoded by the driver.
 */

const NEEDS_ESCAPE = /["\\]/;

function quoted(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;
}

/** `text[]`: every element quoted; `null` is SQL NULL. */
export function pgTextArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    out += v === null || v === undefined ? 'NULL' : quoted(v);
  }
  return `${out}}`;
}

/**
 * `float8[]` / `bigint[]` / `int[]`: JavaScript's shortest round-trip form,
 * which PostgreSQL reads back exactly (NaN and ±Infinity included). Integers
 * must be safe integers for bigint columns (int64 values arrive as numbers).
 */
export function pgNumberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** `bool[]`. */
export function pgBoolArray(values: readonly boolean[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += i > 0 ? (values[i] ? ',t' : ',f') : values[i] ? 't' : 'f';
  return `${out}}`;
}
