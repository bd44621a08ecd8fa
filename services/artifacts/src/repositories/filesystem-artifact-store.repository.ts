import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CairnError } from '@cairn/contracts';
import { ArtifactEntry, ArtifactStore, CompletedPartRef, FileBytes, StoredEntry, WriteOptions } from './artifact-store';

/** Read size of file streams (the gRPC chunk size). */
const READ_CHUNK_BYTES = 512 * 1024;
/** Staging left by a crash is swept at start-up once older than this. */
const STALE_TMP_MS = 24 * 3600 * 1000;
const STALE_UPLOAD_MS = 7 * 24 * 3600 * 1000;
/** The staging area under the root; artifact keys can never start with it (artifact-key.ts). */
const STAGING = '.cairn';
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface UploadMeta {
  key: string;
  created: number;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function stripQuotes(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * Artifacts as files under one directory (embedded mode). Writes land in a
 * staging file on the same filesystem, are flushed to disk, then renamed into
 * place: readers see the old file or the whole new one, never a part.
 * Multipart uploads keep their parts in the staging area until complete.
 */
export class FilesystemArtifactStore implements ArtifactStore {
  readonly backend = 'filesystem' as const;
  readonly canPresign = false;
  private readonly root: string;
  private prepared?: Promise<string>;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  get location(): string {
    return this.root;
  }

  async ping(): Promise<boolean> {
    const root = await this.realRoot();
    await fs.access(root, fs.constants.W_OK);
    return true;
  }

  async stat(key: string): Promise<StoredEntry | null> {
    const file = await this.confined(key);
    try {
      const st = await fs.stat(file);
      if (st.isFile()) return { kind: 'file', size: st.size };
      if (st.isDirectory()) return { kind: 'dir' };
      return null;
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return null;
      throw err;
    }
  }

  async read(key: string, offset: number, length: number): Promise<FileBytes> {
    const file = await this.confined(key);
    if (length <= 0) return { stream: Readable.from([]) };
    return { stream: createReadStream(file, { start: offset, end: offset + length - 1, highWaterMark: READ_CHUNK_BYTES }) };
  }

  async write(key: string, body: Readable, _options: WriteOptions): Promise<number> {
    const target = await this.confined(key);
    const tmp = await this.stagingFile();
    try {
      const out = createWriteStream(tmp, { flags: 'wx', flush: true });
      await pipeline(body, out);
      await this.place(tmp, target, key);
      return out.bytesWritten;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async list(dirKey: string): Promise<ArtifactEntry[]> {
    const dir = await this.confined(dirKey);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return [];
      throw err;
    }
    const listed = await Promise.all(
      entries.map(async (entry): Promise<ArtifactEntry | undefined> => {
        if (dirKey === '' && entry.name === STAGING) return undefined;
        if (entry.isDirectory()) return { name: entry.name, isDir: true };
        if (!entry.isFile()) return undefined; // symlinks, sockets, ...: not artifacts
        try {
          const st = await fs.stat(path.join(dir, entry.name));
          return { name: entry.name, isDir: false, size: st.size };
        } catch (err) {
          if (errno(err) === 'ENOENT') return undefined; // deleted meanwhile
          throw err;
        }
      }),
    );
    return listed.filter((e): e is ArtifactEntry => e !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    if (key === '') throw CairnError.invalidParameter('Refusing to delete the artifact store root');
    await fs.rm(await this.confined(key), { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- multipart

  async createMultipartUpload(key: string): Promise<string> {
    await this.confined(key);
    const uploadId = randomUUID();
    const dir = path.join(await this.realRoot(), STAGING, 'mpu', uploadId);
    await fs.mkdir(dir, { recursive: true });
    const meta: UploadMeta = { key, created: Date.now() };
    await fs.writeFile(path.join(dir, 'upload.json'), JSON.stringify(meta));
    return uploadId;
  }

  presignPart(): Promise<string | null> {
    return Promise.resolve(null);
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Readable): Promise<string> {
    const dir = await this.uploadDir(key, uploadId);
    const tmp = await this.stagingFile();
    const md5 = createHash('md5');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, hashing, createWriteStream(tmp, { flags: 'wx', flush: true }));
      const etag = `"${md5.digest('hex')}"`;
      await fs.rename(tmp, path.join(dir, `${partNumber}.part`));
      await fs.writeFile(path.join(dir, `${partNumber}.etag`), etag);
      return etag;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: CompletedPartRef[]): Promise<void> {
    const dir = await this.uploadDir(key, uploadId);
    const target = await this.confined(key);
    for (const part of parts) {
      let etag: string;
      try {
        etag = await fs.readFile(path.join(dir, `${part.partNumber}.etag`), 'utf8');
      } catch (err) {
        if (errno(err) === 'ENOENT') throw CairnError.invalidParameter(`Part ${part.partNumber} of upload ${uploadId} was not uploaded`);
        throw err;
      }
      if (part.etag !== '' && stripQuotes(part.etag) !== stripQuotes(etag)) {
        throw CairnError.invalidParameter(`Part ${part.partNumber} of upload ${uploadId}: ETag ${part.etag} does not match ${etag}`);
      }
    }
    const tmp = await this.stagingFile();
    try {
      const out = createWriteStream(tmp, { flags: 'wx', flush: true });
      for (const part of parts) {
        await pipeline(createReadStream(path.join(dir, `${part.partNumber}.part`), { highWaterMark: READ_CHUNK_BYTES }), out, {
          end: false,
        });
      }
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
      await this.place(tmp, target, key);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    await fs.rm(await this.uploadDir(key, uploadId), { recursive: true, force: true });
  }

  presign(): Promise<string> {
    return Promise.reject(CairnError.notImplemented('Presigned URLs are not supported by the filesystem artifact store'));
  }

  // ---------------------------------------------------------------- internals

  /** The root's real path, created with its staging area on first use; stale staging is swept once. */
  private realRoot(): Promise<string> {
    this.prepared ??= (async () => {
      await fs.mkdir(path.join(this.root, STAGING, 'tmp'), { recursive: true });
      await fs.mkdir(path.join(this.root, STAGING, 'mpu'), { recursive: true });
      const real = await fs.realpath(this.root);
      await this.sweep(path.join(real, STAGING, 'tmp'), STALE_TMP_MS);
      await this.sweep(path.join(real, STAGING, 'mpu'), STALE_UPLOAD_MS);
      return real;
    })();
    this.prepared.catch(() => (this.prepared = undefined));
    return this.prepared;
  }

  private async sweep(dir: string, olderThanMs: number): Promise<void> {
    const now = Date.now();
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const full = path.join(dir, name);
      const st = await fs.stat(full).catch(() => undefined);
      if (st && now - st.mtimeMs > olderThanMs) await fs.rm(full, { recursive: true, force: true });
    }
  }

  private async stagingFile(): Promise<string> {
    return path.join(await this.realRoot(), STAGING, 'tmp', randomUUID());
  }

  /**
   * The absolute path of a key, proven to stay under the root: lexically, and
   * through symlinks (the real path of the deepest existing ancestor must lie
   * inside the root's real path).
   */
  private async confined(key: string): Promise<string> {
    const root = await this.realRoot();
    const abs = key === '' ? root : path.join(root, ...key.split('/'));
    const inside = (p: string): boolean => p === root || p.startsWith(root + path.sep);
    if (!inside(abs) || abs === path.join(root, STAGING) || abs.startsWith(path.join(root, STAGING) + path.sep)) {
      throw CairnError.invalidParameter(`Invalid path '${key}': it escapes the artifact root`);
    }
    let probe = abs;
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        if (!inside(real)) throw CairnError.invalidParameter(`Invalid path '${key}': it escapes the artifact root`);
        return abs;
      } catch (err) {
        if (errno(err) !== 'ENOENT' && errno(err) !== 'ENOTDIR') throw err;
        probe = path.dirname(probe);
      }
    }
  }

  /** Moves a finished staging file onto the key. */
  private async place(tmp: string, target: string, key: string): Promise<void> {
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
    } catch (err) {
      if (errno(err) === 'EEXIST' || errno(err) === 'ENOTDIR') {
        throw CairnError.invalidParameter(`Invalid path '${key}': a parent of it is a file`);
      }
      throw err;
    }
    const existing = await fs.lstat(target).catch(() => undefined);
    if (existing?.isDirectory()) throw CairnError.invalidParameter(`Invalid path '${key}': it is a directory`);
    await fs.rename(tmp, target);
  }

  private async uploadDir(key: string, uploadId: string): Promise<string> {
    const unknown = CairnError.notFound(`No multipart upload '${uploadId}' for '${key}'`);
    if (!UPLOAD_ID.test(uploadId)) throw unknown;
    const dir = path.join(await this.realRoot(), STAGING, 'mpu', uploadId);
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, 'upload.json'), 'utf8')) as UploadMeta;
    } catch (err) {
      if (errno(err) === 'ENOENT') throw unknown;
      throw err;
    }
    if (meta.key !== key) throw CairnError.invalidParameter(`Multipart upload '${uploadId}' is for another path`);
    return dir;
  }
}
