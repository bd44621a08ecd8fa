/** SQLSTATE 23505: a unique index refused a row (node-postgres and PGlite both report `code`). */
export function isUniqueViolation(err: unknown): boolean {
  const driverError = (err as { driverError?: unknown } | null)?.driverError ?? err;
  return (driverError as { code?: unknown } | null)?.code === '23505';
}
