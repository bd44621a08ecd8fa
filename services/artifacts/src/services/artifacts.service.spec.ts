import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CairnError } from '@cairn/contracts';
import { FileBytes } from '../repositories/artifact-store';
import { FilesystemArtifactStore } from '../repositories/filesystem-artifact-store.repository';
import { ArtifactsService, resolveRange } from './artifacts.service';

/** An upload body arriving in these pieces (as a socket delivers them). */
function chunks(...parts: string[]): Readable {
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

/** A download's bytes as text (the filesystem store streams them). */
async function text(bytes: FileBytes | null): Promise<string> {
  if (bytes !== null && !('stream' in bytes)) throw new Error('filesystem reads are streams');
  let out = '';
  for await (const chunk of (bytes?.stream ?? []) as AsyncIterable<Buffer>) out += chunk.toString();
  return out;
}

/** A store whose reads are presigned URLs (as S3's are), on a directory. */
class PresigningStore extends FilesystemArtifactStore {
  override read(key: string): Promise<FileBytes> {
    return Promise.resolve({ url: `https://s3.example/bucket/${key}?X-Amz-Signature=x` });
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof CairnError ? err.code : `non-domain: ${String(err)}`;
  }
}

describe('resolveRange', () => {
  it('serves the whole file without a range', () => {
    expect(resolveRange(10, undefined)).toEqual({ file_size: 10, offset: 0, length: 10, partial: false, range_satisfiable: true });
  });

  it('serves start-end, start- and -suffix, clamped to the file', () => {
    expect(resolveRange(10, { start: 2, end: 4 })).toMatchObject({ offset: 2, length: 3, partial: true });
    expect(resolveRange(10, { start: 8, end: 100 })).toMatchObject({ offset: 8, length: 2, partial: true });
    expect(resolveRange(10, { start: 7 })).toMatchObject({ offset: 7, length: 3, partial: true });
    expect(resolveRange(10, { suffix_length: 4 })).toMatchObject({ offset: 6, length: 4, partial: true });
    expect(resolveRange(10, { suffix_length: 40 })).toMatchObject({ offset: 0, length: 10, partial: true });
  });

  it('says unsatisfiable past the end, for an empty file and for a zero suffix', () => {
    expect(resolveRange(10, { start: 10 }).range_satisfiable).toBe(false);
    expect(resolveRange(0, { start: 0 }).range_satisfiable).toBe(false);
    expect(resolveRange(0, { suffix_length: 1 }).range_satisfiable).toBe(false);
    expect(resolveRange(10, { suffix_length: 0 }).range_satisfiable).toBe(false);
  });

  it('ignores an inverted range', () => {
    expect(resolveRange(10, { start: 5, end: 2 })).toMatchObject({ partial: false, length: 10 });
  });
});

describe('ArtifactsService on the filesystem store', () => {
  let dir: string;
  let service: ArtifactsService;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-artifacts-svc-'));
    service = new ArtifactsService(new FilesystemArtifactStore(dir));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uploads, lists, downloads by range and deletes', async () => {
    expect(await service.upload({ path: '3/r/artifacts/f.txt', content_length: 10, content_type: '' }, chunks('01234', '56789'))).toEqual({
      size: 10,
    });
    expect(await service.list('3/r/artifacts')).toEqual({ files: [{ path: 'f.txt', is_dir: false, file_size: 10 }] });
    expect(await service.list('3/r')).toEqual({ files: [{ path: 'artifacts', is_dir: true }] });
    const opened = await service.openDownload({ path: '3/r/artifacts/f.txt', range: { start: 3, end: 5 } });
    expect(opened.header).toMatchObject({ file_size: 10, offset: 3, length: 3, partial: true });
    expect(await text(opened.bytes)).toBe('345');
    const past = await service.openDownload({ path: '3/r/artifacts/f.txt', range: { start: 99 } });
    expect(past).toMatchObject({ header: { range_satisfiable: false, file_size: 10 }, bytes: null });
    await service.delete('3/r');
    expect(await service.list('3')).toEqual({ files: [] });
  });

  it('hands over a presigning store\'s URL for the bytes, and none for HEAD or an empty file', async () => {
    const presigning = new ArtifactsService(new PresigningStore(dir));
    await presigning.upload({ path: 'p/f.bin', content_length: 10, content_type: '' }, chunks('0123456789'));
    await presigning.upload({ path: 'p/empty.bin', content_length: 0, content_type: '' }, chunks());
    expect(await presigning.openDownload({ path: 'p/f.bin', range: { suffix_length: 4 } })).toEqual({
      header: { file_size: 10, offset: 6, length: 4, partial: true, range_satisfiable: true },
      bytes: { url: 'https://s3.example/bucket/p/f.bin?X-Amz-Signature=x' },
    });
    expect((await presigning.openDownload({ path: 'p/f.bin' }, false)).bytes).toBeNull();
    expect(await presigning.openDownload({ path: 'p/empty.bin' })).toEqual({
      header: { file_size: 0, offset: 0, length: 0, partial: false, range_satisfiable: true },
      bytes: null,
    });
    expect(await codeOf(presigning.openDownload({ path: 'p/missing.bin' }))).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('stores nothing when the body is shorter or longer than declared', async () => {
    expect(await codeOf(service.upload({ path: 'a/short.bin', content_length: 10, content_type: '' }, chunks('12345')))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(await codeOf(service.upload({ path: 'a/long.bin', content_length: 3, content_type: '' }, chunks('12345')))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(await service.list('a')).toEqual({ files: [] });
  });

  it('answers 404 for a missing file and 400 for a directory', async () => {
    await service.upload({ path: 'd/x/y.txt', content_type: '' }, chunks('y'));
    expect(await codeOf(service.openDownload({ path: 'd/nope.txt' }))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await codeOf(service.openDownload({ path: 'd/x' }))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('confines every path', async () => {
    for (const bad of ['../x', '/etc/passwd', 'a\\b', 'a\u0000b', '.cairn/tmp/x', '']) {
      expect(await codeOf(service.upload({ path: bad, content_type: '' }, chunks('x')))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(service.openDownload({ path: bad }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(service.delete(bad))).toBe('INVALID_PARAMETER_VALUE');
    }
    expect(await codeOf(service.list('a/../..'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('runs a multipart upload through UploadPart when the store cannot presign', async () => {
    const created = await service.createMultipartUpload({ path: 'm/f.bin', num_parts: 2, expires_in_seconds: 0 });
    expect(created.credentials).toEqual([
      { part_number: 1, url: '', headers: {} },
      { part_number: 2, url: '', headers: {} },
    ]);
    const p1 = await service.uploadPart({ path: 'm/f.bin', upload_id: created.upload_id, part_number: 1, content_length: 3 }, chunks('abc'));
    const p2 = await service.uploadPart({ path: 'm/f.bin', upload_id: created.upload_id, part_number: 2 }, chunks('de'));
    expect(
      await codeOf(
        service.completeMultipartUpload({
          path: 'm/f.bin',
          upload_id: created.upload_id,
          parts: [
            { part_number: 2, etag: p2.etag },
            { part_number: 1, etag: p1.etag },
          ],
        }),
      ),
    ).toBe('INVALID_PARAMETER_VALUE');
    await service.completeMultipartUpload({
      path: 'm/f.bin',
      upload_id: created.upload_id,
      parts: [
        { part_number: 1, etag: p1.etag },
        { part_number: 2, etag: p2.etag },
      ],
    });
    expect(await text((await service.openDownload({ path: 'm/f.bin' })).bytes)).toBe('abcde');
  });

  it('validates multipart requests', async () => {
    expect(await codeOf(service.createMultipartUpload({ path: 'm/f', num_parts: 0, expires_in_seconds: 0 }))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(service.createMultipartUpload({ path: 'm/f', num_parts: 10_001, expires_in_seconds: 0 }))).toBe(
      'INVALID_PARAMETER_VALUE',
    );
    expect(await codeOf(service.uploadPart({ path: 'm/f', upload_id: 'x', part_number: 0 }, chunks()))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(service.uploadPart({ path: 'm/f', upload_id: '', part_number: 1 }, chunks()))).toBe('INVALID_PARAMETER_VALUE');
    expect(await codeOf(service.completeMultipartUpload({ path: 'm/f', upload_id: 'x', parts: [] }))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('answers NOT_IMPLEMENTED for presigned URLs', async () => {
    expect(await codeOf(service.presign({ path: 'a', method: 'GET', expires_in_seconds: 0 }))).toBe('NOT_IMPLEMENTED');
    expect(await codeOf(service.presign({ path: 'a', method: 'POST', expires_in_seconds: 0 }))).toBe('INVALID_PARAMETER_VALUE');
  });
});
