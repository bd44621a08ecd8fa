import { CairnError } from '@cairn/contracts';

/**
 * order_by clauses of the registry searches: `<key> [ASC|DESC]`, the key
 * optionally `attribute.`-prefixed or quoted. MLflow's keys:
 *  - registered models: name, timestamp / last_updated_timestamp (Cairn also
 *    takes creation_timestamp); ties broken by name ASC;
 *  - model versions: name, version_number, creation_timestamp,
 *    last_updated_timestamp; default `last_updated_timestamp DESC`, ties
 *    broken by name ASC then version_number DESC.
 */
export type ModelOrderKey = 'name' | 'last_updated_timestamp' | 'creation_timestamp';
export type VersionOrderKey = 'name' | 'version_number' | 'creation_timestamp' | 'last_updated_timestamp';

export interface OrderTerm<K extends string> {
  key: K;
  ascending: boolean;
}

function invalid(message: string): CairnError {
  return CairnError.invalidParameter(message);
}

function splitClause(clause: string): { token: string; ascending: boolean } {
  const trimmed = clause.trim();
  if (trimmed === '') throw invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  // The key may be quoted with backticks or double quotes (and contain spaces then).
  const match = /^(`[^`]*`|"[^"]*"|\S+)(?:\s+(\S+))?$/.exec(trimmed);
  if (!match) throw invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  const direction = match[2]?.toLowerCase();
  if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
    throw invalid(`Invalid ordering key in order_by clause '${clause}'.`);
  }
  return { token: match[1]!, ascending: direction !== 'desc' };
}

function unquote(token: string): string {
  if (token.length >= 2 && ((token.startsWith('`') && token.endsWith('`')) || (token.startsWith('"') && token.endsWith('"')))) {
    return token.slice(1, -1);
  }
  return token;
}

function checkDuplicates<K extends string>(terms: OrderTerm<K>[], orderBy: readonly string[]): void {
  const seen = new Set<string>();
  for (const term of terms) {
    if (seen.has(term.key)) throw invalid(`\`order_by\` contains duplicate fields: ${JSON.stringify(orderBy)}`);
    seen.add(term.key);
  }
}

const MODEL_KEYS: Record<string, ModelOrderKey> = {
  name: 'name',
  timestamp: 'last_updated_timestamp',
  last_updated_timestamp: 'last_updated_timestamp',
  creation_timestamp: 'creation_timestamp',
};

/** Registered models: the requested terms, then name ASC unless already present. */
export function parseModelOrderBy(orderBy: readonly string[]): OrderTerm<ModelOrderKey>[] {
  const terms = orderBy.map((clause) => {
    const { token, ascending } = splitClause(clause);
    const key = MODEL_KEYS[unquote(token)];
    if (!key) {
      throw invalid(`Invalid order by key '${unquote(token)}' specified. Valid keys are '{'name', 'timestamp'}'`);
    }
    return { key, ascending };
  });
  checkDuplicates(terms, orderBy);
  if (!terms.some((t) => t.key === 'name')) terms.push({ key: 'name', ascending: true });
  return terms;
}

const VERSION_KEYS: readonly VersionOrderKey[] = ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'];
const DEFAULT_VERSION_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

/** Model versions: the requested terms (or MLflow's default), then name ASC and version DESC. */
export function parseVersionOrderBy(orderBy: readonly string[]): OrderTerm<VersionOrderKey>[] {
  const clauses = orderBy.length > 0 ? orderBy : DEFAULT_VERSION_ORDER;
  const terms = clauses.map((clause) => {
    const { token, ascending } = splitClause(clause);
    let key = unquote(token);
    const dot = key.indexOf('.');
    if (dot >= 0) {
      const entity = key.slice(0, dot);
      if (!['attribute', 'attributes', 'attr', 'run'].includes(entity)) {
        throw invalid(
          `Invalid order by key '${unquote(key.slice(dot + 1))}' specified. Valid keys are ${JSON.stringify(VERSION_KEYS)}`,
        );
      }
      key = unquote(key.slice(dot + 1));
    }
    if (!(VERSION_KEYS as readonly string[]).includes(key)) {
      throw invalid(`Invalid order by key '${key}' specified. Valid keys are ${JSON.stringify(VERSION_KEYS)}`);
    }
    return { key: key as VersionOrderKey, ascending };
  });
  checkDuplicates(terms, clauses);
  if (!terms.some((t) => t.key === 'name')) terms.push({ key: 'name', ascending: true });
  if (!terms.some((t) => t.key === 'version_number')) terms.push({ key: 'version_number', ascending: false });
  return terms;
}
