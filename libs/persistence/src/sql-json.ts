/**
 * Building blocks of JSON that PostgreSQL writes as text (search pages
 * rendered by the database): SQL expressions, for statements whose shape is
 * fixed in code. Values are escaped by PostgreSQL's own JSON encoder.
 */

/** The JSON text of a SQL expression (a string for text; NULL stays NULL). */
export function sqlJson(expr: string): string {
  return `to_json(${expr})::text`;
}

/** `,"<field>":<JSON of expr>`, or '' when the expression is NULL (a field left out when unset). */
export function sqlOptionalField(field: string, expr: string): string {
  return `COALESCE(',"${field}":' || ${sqlJson(expr)}, '')`;
}

