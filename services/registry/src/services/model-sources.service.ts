import { Inject, Injectable } from '@nestjs/common';
import { CairnError, tracking } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { VersionStatus } from '../entities/model-version.entity';
import { ArtifactsRepository } from '../repositories/artifacts.repository';
import { TrackingRepository } from '../repositories/tracking.repository';

/**
 * Where a new version's files come from, and whether they are there.
 *
 * Sources follow MLflow's rules (mlflow/server/handlers.py): `runs:/<run_id>/<path>`,
 * `models:/<model_id>` (a logged model, MLflow 3), `models:/<name>/<version|stage|latest>`
 * or `models:/<name>@<alias>` (another version), `mlflow-artifacts:` URIs inside
 * the run's or logged model's artifact root, and external URIs (s3://, gs://, ...)
 * that Cairn cannot look into. Local paths are refused (they name the client's disk).
 * Cairn is lenient where MLflow 3 is strict but the intent is plain: a missing
 * `run_id` (or `model_id`) is taken from a `runs:/` (or `models:/<model_id>`) source.
 */
export type VerificationPlan =
  | { kind: 'none' }
  | { kind: 'files'; uri: string }
  | { kind: 'logged-model'; modelId: string; uri: string };

export interface ResolvedSource {
  source: string;
  storageLocation: string;
  runId: string | null;
  modelId: string | null;
  plan: VerificationPlan;
}

export interface Verdict {
  status: VersionStatus;
  message: string | null;
}

/** A version of this registry that a `models:/<name>/...` source refers to. */
export interface ReferencedVersion {
  name: string;
  version: number;
  source: string;
  storageLocation: string | null;
  runId: string | null;
  modelId: string | null;
}

export type VersionLookup = (ref: ParsedModelUri & { kind: 'registry' }) => Promise<ReferencedVersion>;

export type ParsedModelUri =
  | { kind: 'logged-model'; modelId: string }
  | { kind: 'registry'; name: string; version?: number; stage?: string; alias?: string; latest?: true };

export const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

interface UrlParts {
  scheme: string;
  netloc: string;
  path: string;
}

/** Python's urllib.parse.urlparse, the parts MLflow looks at. */
export function urlParts(uri: string): UrlParts {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(uri);
  let scheme = '';
  let rest = uri;
  if (match) {
    scheme = match[1]!.toLowerCase();
    rest = match[2]!;
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
    rest = end < 0 ? '' : rest.slice(2 + end);
  }
  const path = rest.split(/[?#]/)[0] ?? '';
  return { scheme, netloc, path };
}

function invalidSource(source: string, idName: 'run_id' | 'model_id'): CairnError {
  return CairnError.invalidParameter(
    `Invalid model version source: '${source}'. The ${idName} request parameter must identify the resource that contains the source.`,
  );
}

function improperModelUri(uri: string): CairnError {
  return CairnError.invalidParameter(
    `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or ` +
      `'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a ` +
      'registered model alias. Only one of suffix or alias can be defined at a time.',
  );
}

/** `models:/...` → a logged model id or a registry reference (MLflow's _parse_model_uri). */
export function parseModelUri(uri: string): ParsedModelUri {
  const { scheme, path } = urlParts(uri);
  if (scheme !== 'models' || !path.startsWith('/') || path.length <= 1) throw improperModelUri(uri);
  const parts = path.replace(/^\/+/, '').split('/');
  const first = parts[0] ?? '';
  if (parts.length > 2 || first.trim() === '') throw improperModelUri(uri);
  if (parts.length === 2) {
    const suffix = parts[1] ?? '';
    if (suffix.trim() === '') throw improperModelUri(uri);
    if (/^\d+$/.test(suffix)) return { kind: 'registry', name: first, version: Number(suffix) };
    if (suffix.toLowerCase() === 'latest') return { kind: 'registry', name: first, latest: true };
    return { kind: 'registry', name: first, stage: suffix };
  }
  if (path.includes('@')) {
    const at = first.lastIndexOf('@');
    const name = first.slice(0, at);
    const alias = first.slice(at + 1);
    if (at < 0 || alias.trim() === '') throw improperModelUri(uri);
    return { kind: 'registry', name, alias };
  }
  return { kind: 'logged-model', modelId: first };
}

function unquoteAll(value: string, plus: boolean): string {
  let current = value;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(plus ? current.replace(/\+/g, ' ') : current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** MLflow refuses sources whose path holds relative references ('..', '.', NUL) or is not absolute. */
export function checkNoRelativePaths(source: string): void {
  const unquoted = unquoteAll(source, true);
  const sourcePath = urlParts(unquoted).path.replace(/\/+/g, '/').replace(/\/+$/, '');
  const segments = sourcePath.split('/');
  const bad =
    sourcePath.includes('\u0000') ||
    unquoted.split('/').some((p) => p === '..') ||
    sourcePath === '' ||
    !sourcePath.startsWith('/') ||
    segments.some((s) => s === '.' || s === '..');
  if (bad) {
    throw CairnError.invalidParameter(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, ` +
        'objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references ' +
        'present. Please provide an absolute path.',
    );
  }
}

function isLocal(uri: string): boolean {
  const { scheme } = urlParts(uri);
  return scheme === '' || scheme === 'file';
}

const PROXY_ROUTE = ['api', '2.0', 'mlflow-artifacts', 'artifacts'];

function normalizedParts(uri: string): { scheme: string; netloc: string; parts: string[] } {
  const { scheme, netloc, path } = urlParts(uri);
  return { scheme, netloc: netloc.toLowerCase(), parts: path.split('/').filter((p) => p !== '').map((p) => unquoteAll(p, false)) };
}

/** The store path of a proxied artifact URI (`mlflow-artifacts:/<path>` or `http(s)://.../api/2.0/mlflow-artifacts/artifacts/<path>`). */
export function proxiedPath(uri: string): string | null {
  const { scheme, parts } = normalizedParts(uri);
  if (scheme === 'mlflow-artifacts') return parts.join('/');
  if (scheme === 'http' || scheme === 'https') {
    for (let i = 0; i + PROXY_ROUTE.length <= parts.length; i++) {
      if (PROXY_ROUTE.every((p, j) => parts[i + j] === p)) return parts.slice(i + PROXY_ROUTE.length).join('/');
    }
  }
  return null;
}

export function isWithinRoot(source: string, root: string): boolean {
  const s = normalizedParts(source);
  const r = normalizedParts(root);
  return (
    s.scheme === r.scheme &&
    s.netloc === r.netloc &&
    r.parts.length > 0 &&
    r.parts.every((p, i) => s.parts[i] === p)
  );
}

function joinUri(root: string, path: string): string {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? root : `${root.replace(/\/+$/, '')}/${trimmed}`;
}

/** Python's json.dumps of [{"name": ..., "version": ...}] (the logged model's mlflow.modelVersions tag). */
export function pythonJsonDumps(entries: readonly { name: string; version: number | string }[]): string {
  const str = (s: string): string =>
    JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const items = entries.map(
    (e) => `{"name": ${str(e.name)}, "version": ${typeof e.version === 'number' ? e.version : str(e.version)}}`,
  );
  return `[${items.join(', ')}]`;
}

@Injectable()
export class ModelSources {
  constructor(
    private readonly tracking: TrackingRepository,
    private readonly artifacts: ArtifactsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Resolves lineage (run_id, model_id) and the storage location of a new
   * version's source, refusing sources MLflow refuses. Reads tracking over
   * gRPC: call it outside any database transaction.
   */
  async resolve(
    input: { source: string; runId: string | null; modelId: string | null; hasRunId: boolean; hasModelId: boolean },
    lookup: VersionLookup,
  ): Promise<ResolvedSource> {
    const { source, runId } = input;
    let { modelId } = input;
    const parts = urlParts(source);
    if (parts.scheme === 'models') {
      if (parts.netloc) {
        throw CairnError.invalidParameter(
          `Invalid model version source: '${source}'. Registered model sources must use the active model registry.`,
        );
      }
      const parsed = parseModelUri(source);
      if (parsed.kind === 'registry') {
        const ref = await lookup(parsed);
        if ((input.hasRunId && (runId ?? '') !== (ref.runId ?? '')) || (input.hasModelId && (modelId ?? '') !== (ref.modelId ?? ''))) {
          throw CairnError.invalidParameter(
            `Invalid model version source: '${source}'. The run_id and model_id request parameters must match the referenced model version.`,
          );
        }
        return {
          source: `models:/${ref.name}/${ref.version}`,
          storageLocation: ref.storageLocation ?? ref.source,
          runId: input.hasRunId ? runId : ref.runId,
          modelId: input.hasModelId ? modelId : ref.modelId,
          plan: { kind: 'none' },
        };
      }
      modelId ??= parsed.modelId;
    }
    if (modelId) return this.resolveFromLoggedModel(source, runId, modelId);
    return this.resolveFromRun(source, runId);
  }

  private async resolveFromRun(source: string, runId: string | null): Promise<ResolvedSource> {
    if (isLocal(source)) {
      const run = runId ? await this.tracking.getRun(runId) : null;
      if (!run || !isLocal(run.info?.artifact_uri ?? 'x:') || !isWithinRoot(source, run.info?.artifact_uri ?? '')) {
        throw CairnError.invalidParameter(
          `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request ` +
            'parameter has to be specified and the local path has to be contained within the artifact directory of the ' +
            'run specified by the run_id.',
        );
      }
      return { source, storageLocation: source, runId, modelId: null, plan: { kind: 'files', uri: source } };
    }
    checkNoRelativePaths(source);
    const { scheme, netloc, path } = urlParts(source);
    if (scheme === 'runs') {
      if (netloc) throw invalidSource(source, 'run_id');
      const [sourceRunId = '', ...rest] = path.replace(/^\/+/, '').split('/');
      if (sourceRunId === '' || (runId && runId !== sourceRunId)) throw invalidSource(source, 'run_id');
      const run = await this.requireRun(sourceRunId, source);
      const storageLocation = joinUri(run.info?.artifact_uri ?? '', rest.join('/'));
      return { source, storageLocation, runId: sourceRunId, modelId: null, plan: { kind: 'files', uri: storageLocation } };
    }
    if (proxiedPath(source) !== null) {
      if (!runId) throw invalidSource(source, 'run_id');
      const run = await this.requireRun(runId, source);
      if (!isWithinRoot(source, run.info?.artifact_uri ?? '')) throw invalidSource(source, 'run_id');
      return { source, storageLocation: source, runId, modelId: null, plan: { kind: 'files', uri: source } };
    }
    // s3://, gs://, dbfs:/, hdfs://...: outside Cairn's store, nothing to look into.
    return { source, storageLocation: source, runId, modelId: null, plan: { kind: 'none' } };
  }

  private async resolveFromLoggedModel(source: string, runId: string | null, modelId: string): Promise<ResolvedSource> {
    const fetchModel = async (): Promise<tracking.LoggedModel> => {
      const model = await this.tracking.getLoggedModel(modelId);
      if (!model?.info) throw invalidSource(source, 'model_id');
      return model;
    };
    if (isLocal(source)) {
      const model = await fetchModel();
      const root = model.info!.artifact_uri;
      if (!isLocal(root) || !isWithinRoot(source, root)) {
        throw CairnError.invalidParameter(
          `Invalid model version source: '${source}'. To use a local path as a model version source, the model_id request ` +
            'parameter has to be specified and the local path has to be contained within the artifact directory of the ' +
            'run specified by the model_id.',
        );
      }
      return this.fromModel(source, source, runId, model);
    }
    checkNoRelativePaths(source);
    const { scheme, netloc } = urlParts(source);
    if (scheme === 'runs') throw invalidSource(source, 'model_id');
    if (scheme === 'models') {
      if (netloc) throw invalidSource(source, 'model_id');
      const parsed = parseModelUri(source);
      if (parsed.kind === 'logged-model') {
        if (parsed.modelId !== modelId) throw invalidSource(source, 'model_id');
        const model = await fetchModel();
        return this.fromModel(source, model.info!.artifact_uri, runId, model);
      }
    }
    const model = await fetchModel();
    if (proxiedPath(source) !== null && !isWithinRoot(source, model.info!.artifact_uri)) {
      throw invalidSource(source, 'model_id');
    }
    return this.fromModel(source, source, runId, model);
  }

  private fromModel(source: string, storageLocation: string, runId: string | null, model: tracking.LoggedModel): ResolvedSource {
    const info = model.info!;
    return {
      source,
      storageLocation,
      runId: runId || info.source_run_id || null,
      modelId: info.model_id,
      plan: { kind: 'logged-model', modelId: info.model_id, uri: storageLocation },
    };
  }

  private async requireRun(runId: string, source: string): Promise<tracking.Run> {
    const run = await this.tracking.getRun(runId);
    if (!run?.info) throw invalidSource(source, 'run_id');
    return run;
  }

  /**
   * READY when the files are confirmed (or cannot be looked into: external
   * URIs), FAILED_REGISTRATION when they are missing, PENDING_REGISTRATION when
   * the answer must wait (a logged model not finalized yet, a peer down).
   */
  async verify(plan: VerificationPlan): Promise<Verdict> {
    try {
      if (plan.kind === 'none') return { status: 'READY', message: null };
      if (plan.kind === 'logged-model') {
        const model = await this.tracking.getLoggedModel(plan.modelId);
        const status = model?.info?.status;
        if (!model?.info) return { status: 'FAILED_REGISTRATION', message: `Logged model ${plan.modelId} does not exist.` };
        if (status === 'LOGGED_MODEL_UPLOAD_FAILED') {
          return { status: 'FAILED_REGISTRATION', message: `The upload of logged model ${plan.modelId} failed.` };
        }
        if (status === 'LOGGED_MODEL_PENDING') {
          return { status: 'PENDING_REGISTRATION', message: `Waiting for logged model ${plan.modelId} to be finalized.` };
        }
      }
      return await this.verifyFiles(plan.uri);
    } catch (err) {
      const code = err instanceof CairnError ? err.code : undefined;
      if (code === 'TEMPORARILY_UNAVAILABLE' || code === 'DEADLINE_EXCEEDED' || code === 'INTERNAL_ERROR') {
        return { status: 'PENDING_REGISTRATION', message: 'Waiting for the files to be verified.' };
      }
      return { status: 'FAILED_REGISTRATION', message: `Could not verify the model files: ${(err as Error).message}` };
    }
  }

  private async verifyFiles(uri: string): Promise<Verdict> {
    const path = proxiedPath(uri);
    // Not in Cairn's artifact store (or a local path of a local-store run): nothing more to look at.
    if (path === null) return { status: 'READY', message: null };
    const listing = await this.artifacts.list(path);
    if (listing.kind === 'unavailable') {
      return { status: 'PENDING_REGISTRATION', message: `Waiting for the artifact store to confirm the files at '${uri}'.` };
    }
    // TODO(artifacts): until the artifacts service lists (ListArtifacts answers UNIMPLEMENTED),
    // the check stops at the tracking entity (run or logged model), which resolve() confirmed.
    if (listing.kind === 'unsupported') return { status: 'READY', message: null };
    if (listing.files.length > 0) return { status: 'READY', message: null };
    // An empty listing: the source may name a single file; look for it in its directory.
    const slash = path.lastIndexOf('/');
    const parent = await this.artifacts.list(slash < 0 ? '' : path.slice(0, slash));
    const base = path.slice(slash + 1);
    if (parent.kind === 'listed' && parent.files.some((f) => !f.is_dir && f.path.replace(/.*\//, '') === base)) {
      return { status: 'READY', message: null };
    }
    if (parent.kind === 'unavailable') {
      return { status: 'PENDING_REGISTRATION', message: `Waiting for the artifact store to confirm the files at '${uri}'.` };
    }
    return { status: 'FAILED_REGISTRATION', message: `No model files found at '${uri}'.` };
  }

  /**
   * Adds {name, version} to the logged model's `mlflow.modelVersions` tag (MLflow's
   * set_model_versions_tags). Best effort: the version exists either way.
   */
  async linkLoggedModel(modelId: string, name: string, version: number): Promise<void> {
    try {
      const model = await this.tracking.getLoggedModel(modelId);
      if (!model?.info) return;
      const existing = model.info.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;
      let entries: { name: string; version: number | string }[] = [];
      if (existing) {
        try {
          const parsed: unknown = JSON.parse(existing);
          if (Array.isArray(parsed)) {
            entries = parsed.filter(
              (e): e is { name: string; version: number | string } =>
                typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string',
            );
          }
        } catch {
          entries = [];
        }
      }
      if (!entries.some((e) => e.name === name && String(e.version) === String(version))) entries.push({ name, version });
      await this.tracking.setLoggedModelTags(modelId, [{ key: MODEL_VERSIONS_TAG, value: pythonJsonDumps(entries) }]);
    } catch (err) {
      this.logger.warn({ modelId, name, version, err: (err as Error).message }, 'could not update the logged model tag mlflow.modelVersions');
    }
  }
}
