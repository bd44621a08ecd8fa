import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fs, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CairnError } from '@cairn/contracts';
import { FileBytes } from './artifact-store';
import { FilesystemArtifactStore } from './filesystem-artifact-store.repository';

/** A read's bytes as text (the filesystem store streams them). */
async function text(bytes: FileBytes): Promise<string> {
  if (!('stream' in bytes)) throw new Error('filesystem reads are streams');
  let out = '';
  for await (const chunk of bytes.stream as AsyncIterable<Buffer>) out += chunk.toString();
  return out;
}

/** A body that yields some bytes, then fails (a client that went away). */
function failing(after: string): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from(after);
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('connection reset');
    })(),
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof CairnError ? err.code : `non-domain: ${String(err)}`;
  }
}

describe('FilesystemArtifactStore', () => {
  let dir: string;
  let root: string;
  let store: FilesystemArtifactStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-fs-store-'));
    root = path.join(dir, 'artifacts');
    store = new FilesystemArtifactStore(root);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, stats, reads whole and by range', async () => {
    expect(await store.write('1/r/artifacts/a.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]), {})).toBe(11);
    expect(await store.stat('1/r/artifacts/a.txt')).toEqual({ kind: 'file', size: 11 });
    expect(await store.stat('1/r')).toEqual({ kind: 'dir' });
    expect(await store.stat('1/nope')).toBeNull();
    expect(await store.stat('1/r/artifacts/a.txt/below')).toBeNull();
    expect(await text(await store.read('1/r/artifacts/a.txt', 0, 11))).toBe('hello world');
    expect(await text(await store.read('1/r/artifacts/a.txt', 6, 3))).toBe('wor');
    expect(await text(await store.read('1/r/artifacts/a.txt', 0, 0))).toBe('');
  });

  it('replaces a file atomically and leaves nothing when the body fails', async () => {
    await store.write('k/file.bin', Readable.from([Buffer.from('old')]), {});
    await expect(store.write('k/file.bin', failing('partial new'), {})).rejects.toThrow('connection reset');
    expect(await text(await store.read('k/file.bin', 0, 3))).toBe('old');
    await expect(store.write('k/other.bin', failing('partial'), {})).rejects.toThrow('connection reset');
    expect(await store.stat('k/other.bin')).toBeNull();
    expect((await store.list('k')).map((e) => e.name)).toEqual(['file.bin']);
    expect(await fs.readdir(path.join(root, '.cairn', 'tmp'))).toEqual([]);
  });

  it('lists direct children with directory semantics, hiding its staging area', async () => {
    await store.write('e/b.txt', Readable.from([Buffer.from('bb')]), {});
    await store.write('e/a/deep/x.txt', Readable.from([Buffer.from('x')]), {});
    await store.write('e/c', Readable.from([Buffer.from('')]), {});
    expect(await store.list('e')).toEqual([
      { name: 'a', isDir: true },
      { name: 'b.txt', isDir: false, size: 2 },
      { name: 'c', isDir: false, size: 0 },
    ]);
    expect(await store.list('e/b.txt')).toEqual([]);
    expect(await store.list('missing')).toEqual([]);
    expect((await store.list('')).map((e) => e.name)).toEqual(['e']);
  });

  it('deletes a file or a whole directory, and absent keys quietly', async () => {
    await store.write('d/one.txt', Readable.from([Buffer.from('1')]), {});
    await store.write('d/sub/two.txt', Readable.from([Buffer.from('2')]), {});
    await store.delete('d/one.txt');
    expect(await store.stat('d/one.txt')).toBeNull();
    await store.delete('d/sub');
    expect(await store.list('d')).toEqual([]);
    await store.delete('d/never');
    expect(await codeOf(store.delete(''))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses a file under a file, and a file over a directory', async () => {
    await store.write('p/file', Readable.from([Buffer.from('f')]), {});
    expect(await codeOf(store.write('p/file/child', Readable.from([Buffer.from('c')]), {}))).toBe('INVALID_PARAMETER_VALUE');
    await store.write('p/dir/x', Readable.from([Buffer.from('x')]), {});
    expect(await codeOf(store.write('p/dir', Readable.from([Buffer.from('y')]), {}))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('does not follow a symlink out of the root', async () => {
    const outside = path.join(dir, 'outside');
    await fs.mkdir(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    await store.ping();
    symlinkSync(outside, path.join(root, 'link'));
    for (const attempt of [
      () => store.stat('link/secret.txt'),
      () => store.read('link/secret.txt', 0, 6),
      () => store.list('link'),
      () => store.write('link/planted.txt', Readable.from([Buffer.from('x')]), {}),
      () => store.delete('link/secret.txt'),
    ]) {
      expect(await codeOf(attempt())).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'secret.txt'))).toBe(true);
  });

  it('assembles a multipart upload from parts in order, atomically on complete', async () => {
    const id = await store.createMultipartUpload('m/big.bin');
    const e2 = await store.uploadPart('m/big.bin', id, 2, Readable.from([Buffer.from('world')]));
    const e1 = await store.uploadPart('m/big.bin', id, 1, Readable.from([Buffer.from('hello ')]));
    expect(e1).toBe(`"${createHash('md5').update('hello ').digest('hex')}"`);
    expect(await store.stat('m/big.bin')).toBeNull();
    await store.completeMultipartUpload('m/big.bin', id, [
      { partNumber: 1, etag: e1 },
      { partNumber: 2, etag: e2.replace(/"/g, '') },
    ]);
    expect(await text(await store.read('m/big.bin', 0, 11))).toBe('hello world');
    expect(await codeOf(store.completeMultipartUpload('m/big.bin', id, [{ partNumber: 1, etag: e1 }]))).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('checks multipart uploads: ids, paths, parts, etags; abort removes the parts', async () => {
    const id = await store.createMultipartUpload('m/x.bin');
    expect(await codeOf(store.uploadPart('m/x.bin', '../../etc', 1, Readable.from([])))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await codeOf(store.uploadPart('m/other.bin', id, 1, Readable.from([])))).toBe('INVALID_PARAMETER_VALUE');
    const e1 = await store.uploadPart('m/x.bin', id, 1, Readable.from([Buffer.from('a')]));
    expect(await codeOf(store.completeMultipartUpload('m/x.bin', id, [{ partNumber: 2, etag: e1 }]))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(store.completeMultipartUpload('m/x.bin', id, [{ partNumber: 1, etag: '"bogus"' }]))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    await store.abortMultipartUpload('m/x.bin', id);
    expect(await codeOf(store.uploadPart('m/x.bin', id, 1, Readable.from([])))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await fs.readdir(path.join(root, '.cairn', 'mpu'))).toEqual([]);
  });

  it('has no presigned URLs', async () => {
    expect(store.canPresign).toBe(false);
    expect(await store.presignPart()).toBeNull();
    expect(await codeOf(store.presign())).toBe('NOT_IMPLEMENTED');
  });
});
