import { Inject, Injectable, Optional } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import { ArtifactScope, artifactScope, joinKeys, normalizeArtifactPath, proxiedKeyOf } from './artifact-paths';

/** Where an artifact URI points in the proxied store. */
export interface ResolvedArtifactUri {
  /** The root the URI was resolved against (a run's or logged model's artifact_uri), or the URI itself. */
  rootUri: string;
  /** The store key of the root (undefined when the root is not in the proxied store, e.g. s3://...). */
  rootKey: string | undefined;
  /** The store key of the artifact itself (rootKey + the URI's sub-path). */
  key: string | undefined;
  /** Whom the artifact belongs to: known from the tracking record, not only from the key's layout. */
  scope: ArtifactScope;
}

/**
 * The registry's part of model URI resolution: `models:/<name>/<version>`,
 * `models:/<name>/<stage>`, `models:/<name>@<alias>` to the artifact URI of
 * that model version (its `source`, or the storage location it was copied
 * to). The registry service provides it with
 * `{ provide: MODEL_URI_RESOLVER, useClass: ... }` in the gateway module;
 * until then those URIs answer NOT_IMPLEMENTED.
 */
export interface RegisteredModelRef {
  name: string;
  /** Exactly one of version, stage, alias. */
  version?: string;
  stage?: string;
  alias?: string;
}

export interface RegisteredModelUriResolver {
  /** The artifact URI of the model version (runs:/..., models:/<model_id>, mlflow-artifacts:/...). */
  artifactUriOf(model: RegisteredModelRef): Promise<string>;
}

export const MODEL_URI_RESOLVER = Symbol('MODEL_URI_RESOLVER');

const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;
const MAX_HOPS = 4;

/**
 * Resolves the artifact URIs MLflow clients use to the proxied store:
 *   mlflow-artifacts:/<key>            the key itself
 *   runs:/<run_id>/<path>              the run's artifact_uri + path (GetRunArtifactRoot)
 *   models:/<model_id>[/<path>]        the logged model's artifact_uri + path (GetLoggedModel)
 *   models:/<name>/<version|stage>[/<path>], models:/<name>@<alias>[/<path>]
 *                                      through the registry (RegisteredModelUriResolver), then as above
 */
@Injectable()
export class ArtifactUriResolver {
  constructor(
    private readonly tracking: TrackingClient,
    @Optional() @Inject(MODEL_URI_RESOLVER) private readonly registry?: RegisteredModelUriResolver,
  ) {}

  /** A run's artifact root and the experiment it really belongs to. */
  async runRoot(runId: string): Promise<ResolvedArtifactUri> {
    const root = await this.tracking.call('getRunArtifactRoot', { run_id: runId });
    const rootKey = proxiedKeyOf(root.artifact_uri);
    return {
      rootUri: root.artifact_uri,
      rootKey,
      key: rootKey,
      scope: { experimentId: root.experiment_id, runId },
    };
  }

  /** A logged model's artifact root and its experiment (and source run). */
  async loggedModelRoot(modelId: string): Promise<ResolvedArtifactUri> {
    const { model } = await this.tracking.call('getLoggedModel', { model_id: modelId });
    const info = model?.info;
    if (!info) throw CairnError.notFound(`Logged model '${modelId}' not found`);
    const rootKey = proxiedKeyOf(info.artifact_uri);
    return {
      rootUri: info.artifact_uri,
      rootKey,
      key: rootKey,
      scope: { experimentId: info.experiment_id, loggedModelId: modelId, ...(info.source_run_id ? { runId: info.source_run_id } : {}) },
    };
  }

  async resolve(uri: string, hops = 0): Promise<ResolvedArtifactUri> {
    if (hops > MAX_HOPS) throw CairnError.invalidParameter(`Artifact URI '${uri}' resolves through too many indirections`);
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
    if (scheme === 'runs') {
      const { id, path } = this.splitIdAndPath(uri, 'runs:');
      return this.under(await this.runRoot(id), path);
    }
    if (scheme === 'models') {
      const body = uri.slice('models:'.length).replace(/^\/+/, '');
      const [first = '', ...rest] = body.split('/');
      if (LOGGED_MODEL_ID.test(first)) {
        return this.under(await this.loggedModelRoot(first), rest.join('/'));
      }
      const { model, path } = this.registeredModelOf(uri, body);
      return this.under(await this.resolve(await this.registered(uri, model), hops + 1), path);
    }
    const key = proxiedKeyOf(uri);
    return { rootUri: uri, rootKey: key, key, scope: key === undefined ? {} : artifactScope(key) };
  }

  private under(root: ResolvedArtifactUri, path: string): ResolvedArtifactUri {
    const sub = normalizeArtifactPath(path, { allowRoot: true });
    return { ...root, key: root.key === undefined ? undefined : joinKeys(root.key, sub) };
  }

  private splitIdAndPath(uri: string, prefix: string): { id: string; path: string } {
    const body = uri.slice(prefix.length).replace(/^\/+/, '');
    const slash = body.indexOf('/');
    const id = slash < 0 ? body : body.slice(0, slash);
    if (id === '') throw CairnError.invalidParameter(`Invalid artifact URI '${uri}'`);
    return { id, path: slash < 0 ? '' : body.slice(slash + 1) };
  }

  /** `models:/<name>/<version|stage>[/<path>]` or `models:/<name>@<alias>[/<path>]`. */
  private registeredModelOf(uri: string, body: string): { model: RegisteredModelRef; path: string } {
    const [first = '', ...rest] = body.split('/');
    const at = first.indexOf('@');
    if (at > 0) return { model: { name: first.slice(0, at), alias: first.slice(at + 1) }, path: rest.join('/') };
    const [selector = '', ...path] = rest;
    if (first === '' || selector === '') throw CairnError.invalidParameter(`Invalid model URI '${uri}'`);
    const model = /^\d+$/.test(selector) ? { name: first, version: selector } : { name: first, stage: selector };
    return { model, path: path.join('/') };
  }

  /** The registry's answer for a registered model version; NOT_IMPLEMENTED until the registry plugs in. */
  private registered(uri: string, model: RegisteredModelRef): Promise<string> {
    if (!this.registry) {
      return Promise.reject(CairnError.notImplemented(`Resolving '${uri}' needs the model registry, which Cairn does not serve yet`));
    }
    return this.registry.artifactUriOf(model);
  }
}
