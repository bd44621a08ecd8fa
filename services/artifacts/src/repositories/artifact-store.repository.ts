import { promises as fs } from 'node:fs';
import { Client } from 'minio';
import { ArtifactStoreConfig } from '@cairn/config';

/** The artifact backend behind one interface: S3 (any S3 API, via minio) or the local filesystem. */
export interface ArtifactStore {
  readonly backend: 's3' | 'filesystem';
  readonly location: string;
  /** True when the backend answers and the bucket/root is usable. */
  ping(): Promise<boolean>;
}

class FilesystemArtifactStore implements ArtifactStore {
  readonly backend = 'filesystem' as const;

  constructor(readonly location: string) {}

  async ping(): Promise<boolean> {
    await fs.mkdir(this.location, { recursive: true });
    await fs.access(this.location, fs.constants.W_OK);
    return true;
  }
}

class S3ArtifactStore implements ArtifactStore {
  readonly backend = 's3' as const;
  private readonly client: Client;

  constructor(private readonly config: Extract<ArtifactStoreConfig, { kind: 's3' }>) {
    const url = new URL(config.endpoint);
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
    });
  }

  get location(): string {
    return `s3://${this.config.bucket}`;
  }

  ping(): Promise<boolean> {
    return this.client.bucketExists(this.config.bucket);
  }
}

export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  return config.kind === 's3' ? new S3ArtifactStore(config) : new FilesystemArtifactStore(config.root);
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
