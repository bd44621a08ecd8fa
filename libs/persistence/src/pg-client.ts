import { Client } from 'pg';

type QueryCallback = (err: Error | null, result: unknown) => void;
type AnyQuery = (this: Client, config: unknown, values?: unknown, callback?: unknown) => unknown;
// eslint-disable-next-line @typescript-eslint/unbound-method -- always invoked with .call(this)
const clientQuery = Client.prototype.query as unknown as AnyQuery;

/** SQL text → statement name, for the statements `namedStatement` registered. */
const statementNames = new Map<string, string>();

/**
 * Registers `sql` as a named (prepared) statement and returns it unchanged:
 * every connection of CallbackModeClient then parses it once and PostgreSQL
 * may keep a generic plan for it, so each execution skips parse and planning
 * (about 1 ms for a search page's rendering). Only for a constant text whose
 * plan does not depend on its parameters' values; names are unique per process.
 */
export function namedStatement(name: string, sql: string): string {
  const taken = [...statementNames].find(([text, n]) => n === name && text !== sql);
  if (taken) throw new Error(`statement name ${name} is already used for another statement`);
  statementNames.set(sql, name);
  return sql;
}

/** How many texts `preparedStatement` names per process; later texts run unnamed. */
export const MAX_PREPARED_SHAPES = 200;
let preparedShapes = 0;

/**
 * For statements built at run time (searches: one text per filter and
 * order-by shape, every value a `$n` parameter): the first
 * MAX_PREPARED_SHAPES distinct texts of a process become named statements,
 * so a repeated search skips parsing and, once PostgreSQL's plan cache
 * (plan_cache_mode = auto) finds a generic plan no costlier than the custom
 * ones it made for the first five executions, planning too; a text whose
 * plan depends on its values (a LIKE pattern that can use an index) keeps
 * custom plans. The bound caps what each connection keeps prepared. Returns
 * `sql` unchanged.
 */
export function preparedStatement(sql: string): string {
  if (preparedShapes < MAX_PREPARED_SHAPES && !statementNames.has(sql)) {
    preparedShapes += 1;
    statementNames.set(sql, `cairn_shape_${preparedShapes}`);
  }
  return sql;
}

function isSubmittable(config: unknown): boolean {
  return typeof config === 'object' && config !== null && typeof (config as { submit?: unknown }).submit === 'function';
}

/**
 * `pg`'s Client with one change: a query issued without a callback (how
 * TypeORM issues every query) runs in pg's callback mode inside a promise of
 * our own, instead of pg's own promise mode.
 *
 * In pg 8.23's promise mode on Node 20, every result stays reachable until the
 * next scavenge, so each scavenge copies and promotes all rows read since the
 * previous one; they then linger in the old generation until a mark-compact.
 * `bash bench/pg-gc.sh` (3000 sequential 100-row queries): promise mode 4.5 ms
 * per scavenge and ~3.8 MB promoted each time, this client 0.15 ms and nothing
 * promoted, and the loop 13-19% faster. Measured in the registry service
 * (model searches): scavenge pauses 4.1 -> 1.5 ms, its CPU per request -8 to -12%.
 * V8 also remembers the allocation sites whose objects survived
 * (pretenuring), so one promise-mode query path in a process is enough to
 * bring the promotions back for all of them: services reach PostgreSQL only
 * through their DataSource, whose pool uses this client.
 * Same rows, same errors (pg rejects with the same Error object), same order.
 */
export class CallbackModeClient extends Client {
  // One signature for every overload of Client#query (each returns what pg's would).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: unknown, values?: unknown, callback?: unknown): any {
    if (typeof config === 'string') {
      const name = statementNames.get(config);
      if (name !== undefined) config = { name, text: config };
    }
    if (typeof callback === 'function' || typeof values === 'function' || isSubmittable(config)) {
      return clientQuery.call(this, config, values, callback);
    }
    return new Promise((resolve, reject) => {
      const done: QueryCallback = (err, result) => (err ? reject(err) : resolve(result));
      clientQuery.call(this, config, values, done);
    });
  }
}
