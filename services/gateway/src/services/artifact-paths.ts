import { CairnError } from '@cairn/contracts';

/**
 * Artifact paths at the edge: MLflow's path safety rules (its
 * validate_path_is_safe) made stricter, the layout that ties a path to its
 * experiment / run / logged model, and the artifact URIs the proxy serves.
 * The artifacts service checks every key again (defence in depth); the
 * checks here give the caller MLflow's error early and let the gateway know,
 * before any byte moves, which experiment a request touches.
 */

/** Where the proxy routes live, under both MLflow prefixes. */
export const ARTIFACT_PROXY_PREFIXES = ['api/2.0/mlflow-artifacts', 'ajax-api/2.0/mlflow-artifacts'];

/** Run ids are 32 lowercase hex digits; logged model ids `m-` + 32; trace ids `tr-` + 32. */
const RUN_ID = /^[0-9a-f]{32}$/;
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
const TRACE_ID = /^tr-[0-9a-f]{32}$/;
const EXPERIMENT_ID = /^\d{1,19}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalidPath(path: string, why: string): CairnError {
  const shown = path.length > 200 ? `${path.slice(0, 200)}...` : path;
  return CairnError.invalidParameter(`Invalid path ${JSON.stringify(shown)}: ${why}`);
}

/** Python's urllib.parse.unquote: valid %XX runs decode as UTF-8, anything else stays. */
function unquote(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return bytes.toString('utf8');
  });
}

/**
 * Decodes until stable, as MLflow does, so `%2e%2e`, `%252e%252e`, `%2f`
 * and the like are judged by what they finally spell.
 */
function decodeFully(value: string): string {
  let current = value;
  for (let round = 0; round < 10; round++) {
    const next = unquote(current);
    if (next === current) return current;
    current = next;
  }
  throw invalidPath(value, 'too many levels of percent-encoding');
}

/**
 * An artifact path (URL tail or `path` parameter, still percent-encoded or
 * not) as a normalised, relative, '/'-separated key: '' for the root when
 * `allowRoot` is set. Anything that could leave the root, or name something
 * other than a plain relative path, is INVALID_PARAMETER_VALUE: '..'
 * segments, absolute or drive-letter paths, backslashes, NUL and other
 * control characters, '#', at any level of percent-encoding.
 */
export function normalizeArtifactPath(raw: string, options: { allowRoot?: boolean } = {}): string {
  const path = decodeFully(raw);
  if (CONTROL.test(path)) throw invalidPath(path, 'control characters (including NUL) are not allowed');
  if (path.includes('\\')) throw invalidPath(path, "backslashes are not allowed; use '/' as the separator");
  if (path.includes('#')) throw invalidPath(path, "'#' is not allowed");
  if (path.startsWith('/')) throw invalidPath(path, 'absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(path)) throw invalidPath(path, 'drive-letter paths are not allowed');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw invalidPath(path, "'..' is not allowed");
  const key = segments.join('/');
  if (key === '' && !options.allowRoot) throw invalidPath(path, 'a file or directory path is required');
  return key;
}

/** `a` + `b` as keys ('' is the root). */
export function joinKeys(...keys: string[]): string {
  return keys.filter((k) => k !== '').join('/');
}

/**
 * What an artifact key belongs to, read from the layout Cairn (like MLflow)
 * gives proxied artifacts:
 *
 *   <experiment_id>/...                                   experimentId
 *   <experiment_id>/<run_id>/artifacts/...                + runId
 *   <experiment_id>/models/<model_id>/artifacts/...       + loggedModelId
 *   <experiment_id>/traces/<trace_id>/artifacts/...       + traceId
 *
 * Keys outside that layout (the store root; experiments created with a
 * custom `mlflow-artifacts:/<anything>` location) have no experiment: the
 * permission check (security issue) must treat them as admin-only, or map
 * them through the experiment's artifact_location. The scope is read from
 * the key alone; whoever enforces permissions must confirm an id it relies
 * on (e.g. GetRunArtifactRoot says which experiment a run really is in).
 */
export interface ArtifactScope {
  experimentId?: string;
  runId?: string;
  loggedModelId?: string;
  traceId?: string;
}

export function artifactScope(key: string): ArtifactScope {
  const [first, second, third] = key.split('/');
  if (first === undefined || !EXPERIMENT_ID.test(first)) return {};
  const scope: ArtifactScope = { experimentId: first };
  if (second !== undefined && RUN_ID.test(second)) scope.runId = second;
  else if (second === 'models' && third !== undefined && LOGGED_MODEL_ID.test(third)) scope.loggedModelId = third;
  else if (second === 'traces' && third !== undefined && TRACE_ID.test(third)) scope.traceId = third;
  return scope;
}

/** What an artifact proxy request does, to what: the permission layer's input. */
export type ArtifactOperation = 'read' | 'list' | 'write' | 'delete';

export interface ArtifactTarget {
  operation: ArtifactOperation;
  key: string;
  scope: ArtifactScope;
}

export function artifactTarget(operation: ArtifactOperation, key: string): ArtifactTarget {
  return { operation, key, scope: artifactScope(key) };
}

/** The URL markers of the proxy routes (after the /api/2.0 or /ajax-api/2.0 prefix). */
export const ARTIFACT_ROUTES = {
  files: '/mlflow-artifacts/artifacts/',
  mpuCreate: '/mlflow-artifacts/mpu/create/',
  mpuComplete: '/mlflow-artifacts/mpu/complete/',
  mpuAbort: '/mlflow-artifacts/mpu/abort/',
  mpuPart: '/mlflow-artifacts/mpu/upload-part/',
  presigned: '/mlflow-artifacts/presigned/',
} as const;

const PROXY_PATH = /^\/(?:api|ajax-api)\/2\.0\/mlflow-artifacts\/(artifacts|mpu\/create|mpu\/complete|mpu\/abort|mpu\/upload-part|presigned)(\/.*)?$/;

/**
 * What an artifact proxy request (method + raw URL) will do and to which key,
 * before it runs: for a guard or hook that enforces permissions. Undefined
 * for URLs outside the proxy; INVALID_PARAMETER_VALUE for unsafe paths. The
 * controllers read their paths with the same functions, so both agree.
 * (Multipart requests name the directory in the URL and the file in the
 * body; the directory's scope is the file's.)
 */
export function artifactRequestTarget(method: string, rawUrl: string): ArtifactTarget | undefined {
  const [pathname = '', search = ''] = rawUrl.split('?', 2);
  const match = PROXY_PATH.exec(pathname);
  if (!match) return undefined;
  const [, route, tail] = match;
  const verb = method.toUpperCase();
  if (route === 'artifacts' && (tail === undefined || tail === '')) {
    const path = new URLSearchParams(search).get('path') ?? '';
    return artifactTarget('list', normalizeArtifactPath(path, { allowRoot: true }));
  }
  const key = normalizeArtifactPath((tail ?? '').slice(1));
  if (route === 'artifacts') {
    if (verb === 'GET' || verb === 'HEAD') return artifactTarget('read', key);
    if (verb === 'DELETE') return artifactTarget('delete', key);
    return artifactTarget('write', key);
  }
  return artifactTarget(route === 'presigned' ? 'read' : 'write', key);
}

const PROXY_ANCHOR = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * The store key behind an artifact URI the proxy serves, or undefined for
 * any other scheme (s3://, file:, ...):
 *   mlflow-artifacts:/<key>, mlflow-artifacts://<host>/<key>,
 *   http(s)://<host>[/prefix]/api/2.0/mlflow-artifacts/artifacts/<key>
 */
export function proxiedKeyOf(uri: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') {
    const rest = uri.slice('mlflow-artifacts:'.length);
    const path = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
    return normalizeArtifactPath(path.replace(/^\/+/, '').split(/[?#]/)[0] ?? '', { allowRoot: true });
  }
  if (scheme === 'http' || scheme === 'https') {
    let pathname: string;
    try {
      pathname = new URL(uri).pathname;
    } catch {
      return undefined;
    }
    const at = pathname.indexOf(PROXY_ANCHOR);
    if (at < 0) return undefined;
    const tail = pathname.slice(at + PROXY_ANCHOR.length);
    if (tail !== '' && !tail.startsWith('/')) return undefined;
    return normalizeArtifactPath(tail.replace(/^\/+/, ''), { allowRoot: true });
  }
  return undefined;
}

/**
 * The artifact path of a proxy request: what follows `marker` in the raw
 * request URL (before the query), decoded here rather than by the router so
 * every encoding trick meets the same checks.
 */
export function pathAfter(rawUrl: string, marker: string): string {
  const pathname = rawUrl.split('?')[0] ?? '';
  const at = pathname.indexOf(marker);
  return at < 0 ? '' : pathname.slice(at + marker.length);
}
