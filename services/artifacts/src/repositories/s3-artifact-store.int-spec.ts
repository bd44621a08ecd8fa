import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { stackEnv } from '@cairn/testing';
import { S3ArtifactStore } from './s3-artifact-store.repository';

/** The S3 backend against the local stack's real S3 server (deploy/local). */
const env = stackEnv();
const store = new S3ArtifactStore({
  kind: 's3',
  endpoint: env.CAIRN_S3_ENDPOINT!,
  accessKey: env.CAIRN_S3_ACCESS_KEY!,
  secretKey: env.CAIRN_S3_SECRET_KEY!,
  bucket: env.CAIRN_S3_BUCKET!,
  region: env.CAIRN_S3_REGION!,
});
const base = `it-s3-store/${randomBytes(6).toString('hex')}`;

/** Bytes [offset, offset + length) as a download gets them: a GET of the presigned URL read() hands out, with a Range. */
async function readBytes(key: string, offset: number, length: number): Promise<Buffer> {
  const source = await store.read(key);
  if (!('url' in source)) throw new Error('S3 reads are presigned URLs');
  const res = await fetch(source.url, { headers: { range: `bytes=${offset}-${offset + length - 1}` } });
  expect(res.status).toBe(206);
  return Buffer.from(await res.arrayBuffer());
}

function failing(data: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield data;
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('connection reset');
    })(),
  );
}

/** A body that arrives in socket-sized pieces. */
function pieces(data: Buffer, size = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    })(),
  );
}

afterAll(async () => {
  await store.delete(base);
});

describe('S3ArtifactStore (real S3 server)', () => {
  it('answers ping', async () => {
    expect(await store.ping()).toBe(true);
  });

  it('streams a body of known size into one PUT, and reads it by range', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    expect(await store.write(`${base}/known.bin`, pieces(data), { size: data.length, contentType: 'application/octet-stream' })).toBe(
      data.length,
    );
    expect(await store.stat(`${base}/known.bin`)).toEqual({ kind: 'file', size: data.length });
    expect((await readBytes(`${base}/known.bin`, 0, data.length)).equals(data)).toBe(true);
    expect((await readBytes(`${base}/known.bin`, 1000, 5000)).equals(data.subarray(1000, 6000))).toBe(true);
  });

  it('uploads a body of unknown size as a multipart upload (and a small one as one PUT)', async () => {
    const big = randomBytes(19 * 1024 * 1024 + 3);
    expect(await store.write(`${base}/unknown-big.bin`, pieces(big), {})).toBe(big.length);
    const got = await readBytes(`${base}/unknown-big.bin`, 0, big.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    expect(await store.write(`${base}/unknown-small.bin`, pieces(Buffer.from('small')), {})).toBe(5);
    expect(await store.write(`${base}/empty.bin`, Readable.from([]), {})).toBe(0);
    expect(await store.stat(`${base}/empty.bin`)).toEqual({ kind: 'file', size: 0 });
  });

  it('leaves nothing visible when the body fails, on either path', async () => {
    await expect(store.write(`${base}/fail-put.bin`, failing(randomBytes(1024)), { size: 4096 })).rejects.toBeDefined();
    await expect(store.write(`${base}/fail-mpu.bin`, failing(randomBytes(9 * 1024 * 1024)), {})).rejects.toBeDefined();
    expect(await store.stat(`${base}/fail-put.bin`)).toBeNull();
    expect(await store.stat(`${base}/fail-mpu.bin`)).toBeNull();
  });

  it('lists with directory semantics, keeping odd characters in names', async () => {
    const dir = `${base}/list`;
    for (const name of ['a b+c%41.txt', 'sub/deep/x.txt', 'sub/y.txt', 'z.txt']) {
      await store.write(`${dir}/${name}`, Readable.from([Buffer.from(name)]), { size: Buffer.byteLength(name) });
    }
    expect(await store.list(dir)).toEqual([
      { name: 'a b+c%41.txt', isDir: false, size: 12 },
      { name: 'sub', isDir: true },
      { name: 'z.txt', isDir: false, size: 5 },
    ]);
    expect(await store.list(`${dir}/sub`)).toEqual([
      { name: 'deep', isDir: true },
      { name: 'y.txt', isDir: false, size: 9 },
    ]);
    expect(await store.list(`${dir}/z.txt`)).toEqual([]);
    expect(await store.stat(`${dir}/sub`)).toEqual({ kind: 'dir' });
    expect(await store.stat(`${dir}/nothing`)).toBeNull();
    await store.delete(`${dir}/sub`);
    expect((await store.list(dir)).map((e) => e.name)).toEqual(['a b+c%41.txt', 'z.txt']);
    await store.delete(`${dir}/a b+c%41.txt`);
    await store.delete(`${dir}/never-there`);
    expect((await store.list(dir)).map((e) => e.name)).toEqual(['z.txt']);
  });

  it('runs a multipart upload whose parts go to presigned URLs, complete is atomic', async () => {
    const key = `${base}/mpu.bin`;
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1234);
    const id = await store.createMultipartUpload(key);
    const etags: string[] = [];
    for (const [n, data] of [part1, part2].entries()) {
      const url = await store.presignPart(key, id, n + 1, 600);
      const res = await fetch(url!, { method: 'PUT', body: data });
      expect(res.status).toBe(200);
      etags.push(res.headers.get('etag') ?? '');
    }
    expect(await store.stat(key)).toBeNull();
    await store.completeMultipartUpload(key, id, [
      { partNumber: 1, etag: etags[0]! },
      { partNumber: 2, etag: etags[1]! },
    ]);
    expect((await readBytes(key, 0, part1.length + part2.length)).equals(Buffer.concat([part1, part2]))).toBe(true);
  });

  it('streams a part through the service, and aborts cleanly', async () => {
    const key = `${base}/mpu-proxied.bin`;
    const id = await store.createMultipartUpload(key);
    const etag = await store.uploadPart(key, id, 1, pieces(Buffer.from('only part')), 9);
    await store.completeMultipartUpload(key, id, [{ partNumber: 1, etag }]);
    expect((await readBytes(key, 0, 9)).toString()).toBe('only part');
    const other = await store.createMultipartUpload(`${base}/aborted.bin`);
    await store.abortMultipartUpload(`${base}/aborted.bin`, other);
    await expect(store.abortMultipartUpload(`${base}/aborted.bin`, other)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await store.stat(`${base}/aborted.bin`)).toBeNull();
  });

  it('presigns GET and PUT', async () => {
    const put = await store.presign('PUT', `${base}/presigned.txt`, 60);
    expect((await fetch(put, { method: 'PUT', body: 'via url' })).status).toBe(200);
    const get = await store.presign('GET', `${base}/presigned.txt`, 60);
    expect(await (await fetch(get)).text()).toBe('via url');
  });

  it('hands out read URLs that answer 404 once the object is gone', async () => {
    await store.write(`${base}/gone.bin`, pieces(Buffer.from('soon gone')), { size: 9 });
    const source = await store.read(`${base}/gone.bin`);
    await store.delete(`${base}/gone.bin`);
    expect('url' in source && (await fetch(source.url)).status).toBe(404);
  });
});
