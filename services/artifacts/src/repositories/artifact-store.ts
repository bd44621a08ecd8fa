import { Readable } from 'node:stream';

/** What a key names in the store. */
export type StoredEntry = { kind: 'file'; size: number } | { kind: 'dir' };

/** A direct child of a listed directory. */
export interface ArtifactEntry {
  name: string;
  isDir: boolean;
  /** Files only. */
  size?: number;
}

export interface WriteOptions {
  /** Declared size: lets S3 stream a single PUT; the caller has already checked the body against it. */
  size?: number;
  contentType?: string;
}

/**
 * Where the bytes of a file come from: a stream through the service, or a
 * short-lived presigned GET URL of the object, which the caller sends at
 * once itself (with a Range header for part of the file), so the bytes never
 * pass through the service.
 */
export type FileBytes = { stream: Readable } | { url: string };

export interface CompletedPartRef {
  partNumber: number;
  etag: string;
}

/**
 * The artifact backend behind one interface: S3 (any S3 API, via minio) or
 * the local filesystem. Keys are already normalised and confined
 * (services/artifact-key.ts); each backend still refuses to leave its root.
 *
 * Every body is a stream: nothing here holds a whole file in memory.
 * `write` is atomic: the key shows the previous state until the body has
 * fully arrived, and a failed or cancelled body leaves nothing behind.
 */
export interface ArtifactStore {
  readonly backend: 's3' | 'filesystem';
  readonly location: string;
  /** True when `presign` and `presignPart` give URLs. */
  readonly canPresign: boolean;
  /** True when the backend answers and the bucket/root is usable. */
  ping(): Promise<boolean>;
  /** A file, a directory (prefix with content), or null when the key names nothing. */
  stat(key: string): Promise<StoredEntry | null>;
  /** Bytes [offset, offset + length) of a file the caller has stat'ed: streamed (filesystem), or a presigned URL (S3). */
  read(key: string, offset: number, length: number): Promise<FileBytes>;
  /** Stores the body under the key, atomically; resolves to the bytes stored. */
  write(key: string, body: Readable, options: WriteOptions): Promise<number>;
  /** Direct children of a directory key ('' is the root), sorted by name; [] when absent or a file. */
  list(dirKey: string): Promise<ArtifactEntry[]>;
  /** Removes a file, or a directory and everything under it; absent keys are fine. */
  delete(key: string): Promise<void>;

  createMultipartUpload(key: string, contentType?: string): Promise<string>;
  /** A URL the client PUTs the part to, or null when the backend cannot presign. */
  presignPart(key: string, uploadId: string, partNumber: number, expiresSeconds: number): Promise<string | null>;
  /** Stores one part streamed through the service; resolves to its (quoted) ETag. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Readable, size?: number): Promise<string>;
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPartRef[]): Promise<void>;
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;

  /** A presigned URL for GET or PUT of the key; NOT_IMPLEMENTED where the backend has none. */
  presign(method: 'GET' | 'PUT', key: string, expiresSeconds: number): Promise<string>;
}
