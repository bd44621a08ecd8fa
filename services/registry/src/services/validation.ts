import { CairnError } from '@cairn/contracts';
import { Stage, STAGES } from '../entities/model-version.entity';

/**
 * MLflow's registry rules (mlflow/utils/validation.py, the registry store and
 * model_version_stages.py), with MLflow's messages, for the registry service.
 */
export const LIMITS = {
  modelNameLength: 256,
  tagKeyLength: 250,
  tagValueLength: 100_000,
  aliasLength: 255,
  descriptionLength: 5000,
  sourceLength: 65_535,
  runLinkLength: 65_535,
  commentLength: 65_535,
  searchModelsMaxResults: 1000,
  searchModelsDefault: 100,
  searchVersionsMaxResults: 200_000,
  searchVersionsDefault: 200_000,
} as const;

/** Stages in MLflow's canonical order (ALL_STAGES). */
export const ALL_STAGES: readonly Stage[] = STAGES;
/** Stages whose existing versions `archive_existing_versions` may archive. */
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

export function missingValue(field: string): CairnError {
  return CairnError.invalidParameter(`Missing value for required parameter '${field}'.`);
}

function formatValue(value: string): string {
  return JSON.stringify(value);
}

export function invalidValue(field: string, value: string, message?: string): CairnError {
  return CairnError.invalidParameter(
    message
      ? `Invalid value ${formatValue(value)} for parameter '${field}' supplied: ${message}`
      : `Invalid value ${formatValue(value)} for parameter '${field}' supplied.`,
  );
}

export function exceedsMaximumLength(field: string, limit: number): CairnError {
  return CairnError.invalidParameter(`'${field}' exceeds the maximum length of ${limit} characters`);
}

export function requireField(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw missingValue(field);
  return value;
}

function checkLength(field: string, value: string | undefined, limit: number): void {
  if (value !== undefined && value.length > limit) throw exceedsMaximumLength(field, limit);
}

/** Python's posixpath.normpath, which MLflow uses to refuse names that act as other paths. */
export function pythonNormpath(path: string): string {
  if (path === '') return '.';
  const initialSlashes = path.startsWith('/') ? (path.startsWith('//') && !path.startsWith('///') ? 2 : 1) : 0;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (initialSlashes === 0 && parts.length === 0) || parts[parts.length - 1] === '..') {
      parts.push(part);
    } else if (parts.length > 0) {
      parts.pop();
    }
  }
  const joined = '/'.repeat(initialSlashes) + parts.join('/');
  return joined === '' ? '.' : joined;
}

function pathNotUnique(name: string): boolean {
  const norm = pythonNormpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

function badPathMessage(name: string): string {
  return (
    'Names may be treated as files in certain cases, and must not resolve to other names' +
    ` when treated as such. This name would resolve to '${pythonNormpath(name)}'`
  );
}

/** A registered model name: not blank, no '/' or ':', not a path that resolves elsewhere. */
export function validateModelName(name: string | undefined, field = 'name'): string {
  if (name === undefined || name.trim() === '') throw missingValue(field);
  if (name.includes('/') || name.includes(':')) {
    throw CairnError.invalidParameter(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  }
  if (pathNotUnique(name)) throw invalidValue(field, name, badPathMessage(name));
  checkLength(field, name, LIMITS.modelNameLength);
  return name;
}

/** A version number as MLflow parses it (Python's int()); returns the integer. */
export function parseVersion(version: string | undefined, field = 'version'): number {
  if (version === undefined || version === '') throw missingValue(field);
  const trimmed = version.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw CairnError.invalidParameter(`Parameter '${field}' must be an integer, got '${version}'.`);
  }
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n)) {
    throw CairnError.invalidParameter(`Parameter '${field}' must be an integer, got '${version}'.`);
  }
  return n;
}

const TAG_KEY_PATTERN = /^[/\p{L}\p{N}_.\- :]*$/u;

/** Tag keys of models and versions (MLflow's _validate_tag_name and key length). */
export function validateTagKey(key: string | undefined): string {
  if (key === undefined) throw missingValue('key');
  if (!TAG_KEY_PATTERN.test(key)) {
    throw invalidValue(
      'key',
      key,
      'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).',
    );
  }
  if (pathNotUnique(key)) throw invalidValue('key', key, badPathMessage(key));
  checkLength('key', key, LIMITS.tagKeyLength);
  return key;
}

export function validateTag(key: string | undefined, value: string | undefined): void {
  validateTagKey(key);
  if (value === undefined || value === null) throw CairnError.invalidParameter('Tag value cannot be None');
  checkLength('value', value, LIMITS.tagValueLength);
}

/** Later duplicates of a key win (MLflow builds a dict). */
export function dedupeTags<T extends { key: string; value: string }>(tags: readonly T[]): { key: string; value: string }[] {
  const byKey = new Map<string, string>();
  for (const tag of tags) {
    validateTag(tag.key, tag.value);
    byKey.set(tag.key, tag.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

const ALIAS_PATTERN = /^[\p{L}\p{N}_-]*$/u;

/** Alias names: `^[\w\-]*$`, at most 255 characters. */
export function validateAliasName(alias: string | undefined): string {
  if (alias === undefined || alias === '') {
    throw CairnError.invalidParameter('Registered model alias name cannot be empty.');
  }
  if (!ALIAS_PATTERN.test(alias)) {
    throw CairnError.invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  checkLength('Registered model alias name', alias, LIMITS.aliasLength);
  return alias;
}

/** `latest` (any case) and `v<digits>` are reserved: they cannot be set. */
export function validateAliasNotReserved(alias: string): void {
  if (alias.toLowerCase() === 'latest') {
    throw CairnError.invalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) {
    throw CairnError.invalidParameter(`Version alias name '${alias}' is reserved.`);
  }
}

/** A stage name in any case → its canonical spelling. */
export function canonicalStage(stage: string | undefined, field = 'stage'): Stage {
  if (stage === undefined || stage === '') throw missingValue(field);
  const found = ALL_STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw CairnError.invalidParameter(
      `Invalid Model Version stage: ${stage}. Value must be one of ${ALL_STAGES.join(', ')}.`,
    );
  }
  return found;
}

/** archive_existing_versions is only meaningful for Staging and Production. */
export function validateArchiveExisting(stage: Stage, archiveExisting: boolean): void {
  if (archiveExisting && !ACTIVE_STAGES.includes(stage)) {
    throw CairnError.invalidParameter(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. ` +
        `Valid stages are ['Staging', 'Production']`,
    );
  }
}

export function validateDescription(description: string | undefined): void {
  checkLength('description', description, LIMITS.descriptionLength);
}

export function validateComment(comment: string | undefined, required: boolean): string | null {
  if (comment === undefined || comment === '') {
    if (required) throw missingValue('comment');
    return null;
  }
  checkLength('comment', comment, LIMITS.commentLength);
  return comment;
}

export function validateSourceLength(source: string): void {
  checkLength('source', source, LIMITS.sourceLength);
}

export function validateRunLink(runLink: string | undefined): void {
  checkLength('run_link', runLink, LIMITS.runLinkLength);
}

/** max_results of a search: 0 means the default; otherwise 1..limit (MLflow's message). */
export function resolveMaxResults(value: number, defaultValue: number, limit: number): number {
  if (value === 0) return defaultValue;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw CairnError.invalidParameter(
      `Invalid value for max_results. It must be a positive integer, but got ${value}`,
    );
  }
  if (value > limit) {
    throw CairnError.invalidParameter(
      `Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${value}`,
    );
  }
  return value;
}
