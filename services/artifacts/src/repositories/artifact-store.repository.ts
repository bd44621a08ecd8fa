import { ArtifactStoreConfig } from '@cairn/config';
import { ArtifactStore } from './artifact-store';
import { FilesystemArtifactStore } from './filesystem-artifact-store.repository';
import { S3ArtifactStore } from './s3-artifact-store.repository';

export * from './artifact-store';

export function createArtifactStore(config: ArtifactStoreConfig): ArtifactStore {
  return config.kind === 's3' ? new S3ArtifactStore(config) : new FilesystemArtifactStore(config.root);
}

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
