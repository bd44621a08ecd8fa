import { Injectable } from '@nestjs/common';
import { artifacts, CairnError } from '@cairn/contracts';
import { ArtifactsClient } from '../clients/artifacts.client';
import { JsonFileInfo, jsonFileInfo } from '../dtos/artifacts.dto';
import { joinKeys, normalizeArtifactPath } from './artifact-paths';
import { ArtifactUriResolver, ResolvedArtifactUri } from './artifact-uris.service';

/** What mpu/create answers (MLflow's CreateMultipartUpload.Response). */
export interface JsonMultipartUpload {
  upload_id: string;
  credentials: { url: string; part_number: number; headers: Record<string, string> }[];
}

/** Builds the URL a part is PUT to when the store cannot presign (the gateway's own part route). */
export type PartUrl = (key: string, uploadId: string, partNumber: number) => string;

/**
 * The artifact proxy's logic between HTTP and the artifacts service: MLflow's
 * shapes in, store keys and gRPC out. Keys reaching here are normalised
 * (artifact-paths.ts); the artifacts service confines them again.
 */
@Injectable()
export class ArtifactProxyService {
  constructor(
    private readonly artifacts: ArtifactsClient,
    private readonly uris: ArtifactUriResolver,
  ) {}

  /** `GET /mlflow-artifacts/artifacts?path=`: the entries' base names, as MLflow lists them. */
  async list(key: string): Promise<{ files: JsonFileInfo[] }> {
    const listed = await this.artifacts.call('listArtifacts', { path: key });
    return { files: listed.files.map((f) => jsonFileInfo(f, '')) };
  }

  /** Tracking's `artifacts/list`: paths relative to the run's artifact root. */
  async listRun(runId: string, path: string | undefined): Promise<{ root_uri: string; files: JsonFileInfo[] }> {
    return this.listUnder(await this.uris.runRoot(runId), path);
  }

  /** `logged-models/<id>/artifacts/directories`: paths relative to the model's artifact root. */
  async listLoggedModel(modelId: string, path: string | undefined): Promise<{ root_uri: string; files: JsonFileInfo[] }> {
    return this.listUnder(await this.uris.loggedModelRoot(modelId), path);
  }

  /**
   * `mpu/create/<dir>` with the client's local file path: the file is
   * <dir>/<its base name>. Part URLs are the store's presigned ones, or the
   * gateway's part route; `partHeaders` travel with each part (the MLflow
   * client sends them), e.g. the caller's Authorization.
   */
  async createMultipart(
    dir: string,
    localPath: string,
    numParts: number,
    partUrl: PartUrl,
    partHeaders: Record<string, string>,
  ): Promise<JsonMultipartUpload> {
    const key = joinKeys(dir, fileNameOf(localPath));
    const created = await this.artifacts.call('createMultipartUpload', { path: key, num_parts: numParts, expires_in_seconds: 0 });
    return {
      upload_id: created.upload_id,
      credentials: created.credentials.map((c) =>
        c.url !== ''
          ? { url: c.url, part_number: c.part_number, headers: c.headers }
          : { url: partUrl(key, created.upload_id, c.part_number), part_number: c.part_number, headers: partHeaders },
      ),
    };
  }

  async completeMultipart(
    dir: string,
    localPath: string,
    uploadId: string,
    parts: { part_number: number; etag?: string | undefined }[],
  ): Promise<Record<string, never>> {
    await this.artifacts.call('completeMultipartUpload', {
      path: joinKeys(dir, fileNameOf(localPath)),
      upload_id: uploadId,
      parts: parts.map((p): artifacts.CompletedPart => ({ part_number: p.part_number, etag: p.etag ?? '' })),
    });
    return {};
  }

  async abortMultipart(dir: string, localPath: string, uploadId: string): Promise<Record<string, never>> {
    await this.artifacts.call('abortMultipartUpload', { path: joinKeys(dir, fileNameOf(localPath)), upload_id: uploadId });
    return {};
  }

  private async listUnder(root: ResolvedArtifactUri, path: string | undefined): Promise<{ root_uri: string; files: JsonFileInfo[] }> {
    const relative = normalizeArtifactPath(path ?? '', { allowRoot: true });
    if (root.rootKey === undefined) {
      throw CairnError.notImplemented(
        `Listing artifacts stored outside Cairn's artifact store (${root.rootUri}) is not supported; list them with the client`,
      );
    }
    const listed = await this.artifacts.call('listArtifacts', { path: joinKeys(root.rootKey, relative) });
    return { root_uri: root.rootUri, files: listed.files.map((f) => jsonFileInfo(f, relative)) };
  }
}

/** The base name of the client's local file (a POSIX or a Windows path), checked as one path segment. */
export function fileNameOf(localPath: string): string {
  const name = localPath.split(/[/\\]/).filter((s) => s !== '').pop() ?? '';
  const key = normalizeArtifactPath(name);
  if (key.includes('/')) throw CairnError.invalidParameter(`Invalid file name in path '${localPath}'`);
  return key;
}
