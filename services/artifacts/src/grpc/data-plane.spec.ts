import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  DATA_PLANE_FILES,
  DATA_PLANE_PARTS,
  dataPlanePath,
  ERROR_CODE_HEADER,
  FILE_SIZE_HEADER,
  Http1Client,
  LENGTH_HEADER,
  OFFSET_HEADER,
  PARTIAL_HEADER,
} from '@cairn/grpc';
import { createLogger } from '@cairn/observability';
import { FileBytes } from '../repositories/artifact-store';
import { FilesystemArtifactStore } from '../repositories/filesystem-artifact-store.repository';
import { ArtifactsService } from '../services/artifacts.service';
import { DataPlaneHandler, DataPlaneServer } from './data-plane';

/** The data plane over a real socket, on the filesystem store. */
describe('artifact data plane', () => {
  let dir: string;
  let listener: net.Server;
  let dataPlane: DataPlaneServer;
  let handler: DataPlaneHandler;
  let client: Http1Client;
  const files = (key: string): string => dataPlanePath(DATA_PLANE_FILES, key);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-data-plane-'));
    dataPlane = new DataPlaneServer();
    handler = new DataPlaneHandler(dataPlane, new ArtifactsService(new FilesystemArtifactStore(dir)), createLogger('test', 'silent'));
    handler.onModuleInit();
    listener = net.createServer((socket) => dataPlane.accept(socket));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    client = new Http1Client({ host: '127.0.0.1', port: (listener.address() as net.AddressInfo).port });
  });

  afterAll(async () => {
    client.close();
    await handler.onApplicationShutdown();
    await new Promise((resolve) => listener.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function get(key: string, query = '', method = 'GET'): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const res = await client.request({ method, target: files(key) + query });
    const parts: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(Buffer.from(chunk));
        callback();
      },
    });
    await res.pipeTo(sink);
    return { status: res.status, headers: res.headers, body: Buffer.concat(parts) };
  }

  it('stores a PUT body and serves it whole, by range, and as HEAD', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const put = await client.request({
      method: 'PUT',
      target: files('1/r/artifacts/odd name%.bin'),
      body: { source: Readable.from([data.subarray(0, 100), data.subarray(100)]), length: data.length },
    });
    expect(put.status).toBe(200);
    expect(JSON.parse(await put.text())).toEqual({ size: data.length });

    const whole = await get('1/r/artifacts/odd name%.bin');
    expect(whole.status).toBe(200);
    expect(whole.body.equals(data)).toBe(true);
    expect(whole.headers[FILE_SIZE_HEADER]).toBe(String(data.length));

    const range = await get('1/r/artifacts/odd name%.bin', '?start=10&end=19');
    expect(range.status).toBe(206);
    expect(range.headers[OFFSET_HEADER]).toBe('10');
    expect(range.body.equals(data.subarray(10, 20))).toBe(true);
    const suffix = await get('1/r/artifacts/odd name%.bin', '?suffix_length=7');
    expect(suffix.body.equals(data.subarray(data.length - 7))).toBe(true);
    expect((await get('1/r/artifacts/odd name%.bin', `?start=${data.length}`)).status).toBe(416);

    const head = await get('1/r/artifacts/odd name%.bin', '', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(data.length));
    expect(head.body.length).toBe(0);
  });

  it('takes a chunked body of unknown length', async () => {
    const put = await client.request({ method: 'PUT', target: files('c/chunked.txt'), body: { source: Readable.from([Buffer.from('a'), Buffer.from('bc')]) } });
    expect(JSON.parse(await put.text())).toEqual({ size: 3 });
    expect((await get('c/chunked.txt')).body.toString()).toBe('abc');
  });

  it('answers errors with their code, and confines keys', async () => {
    const missing = await client.request({ method: 'GET', target: files('nope/x.bin') });
    expect(missing.status).toBe(404);
    expect(missing.headers[ERROR_CODE_HEADER]).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(JSON.parse(await missing.text())).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
    for (const target of [files('../etc/passwd'), `${DATA_PLANE_FILES}..%2F..%2Fetc%2Fpasswd`, `${DATA_PLANE_FILES}.cairn/tmp/x`, `${DATA_PLANE_FILES}%E0%A4%A`]) {
      const res = await client.request({ method: 'GET', target });
      expect([400, 404]).toContain(res.status);
      await res.text();
    }
    const traversal = await client.request({ method: 'PUT', target: files('../escape.txt'), body: { source: Readable.from([Buffer.from('x')]), length: 1 } });
    expect(traversal.status).toBe(400);
    expect(traversal.headers[ERROR_CODE_HEADER]).toBe('INVALID_PARAMETER_VALUE');
    await traversal.text();
    const unknown = await client.request({ method: 'POST', target: '/v1/other' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers[ERROR_CODE_HEADER]).toBe('ENDPOINT_NOT_FOUND');
    await unknown.text();
  });

  it('stores nothing when the body is cut short', async () => {
    const socket = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`PUT ${files('cut/partial.bin')} HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n`);
    socket.write(Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await get('cut/partial.bin')).status).toBe(404);
  });

  it('answers a GET on a presigning store with a 307 to the presigned URL and the bytes to serve', async () => {
    // A store whose reads are presigned URLs, as S3's are.
    class PresigningStore extends FilesystemArtifactStore {
      override read(key: string): Promise<FileBytes> {
        return Promise.resolve({ url: `https://s3.example/bucket/${encodeURI(key)}?X-Amz-Signature=x` });
      }
    }
    const server = new DataPlaneServer();
    const presigning = new DataPlaneHandler(server, new ArtifactsService(new PresigningStore(dir)), createLogger('test', 'silent'));
    presigning.onModuleInit();
    const socketServer = net.createServer((socket) => server.accept(socket));
    await new Promise<void>((resolve) => socketServer.listen(0, '127.0.0.1', resolve));
    const presigned = new Http1Client({ host: '127.0.0.1', port: (socketServer.address() as net.AddressInfo).port });
    try {
      const put = await presigned.request({ method: 'PUT', target: files('p/f.bin'), body: { source: Readable.from([Buffer.from('0123456789')]), length: 10 } });
      expect(put.status).toBe(200);
      await put.text();
      const range = await presigned.request({ method: 'GET', target: `${files('p/f.bin')}?start=2&end=4` });
      expect(range.status).toBe(307);
      expect(range.headers).toMatchObject({
        location: 'https://s3.example/bucket/p/f.bin?X-Amz-Signature=x',
        [FILE_SIZE_HEADER]: '10',
        [OFFSET_HEADER]: '2',
        [LENGTH_HEADER]: '3',
        [PARTIAL_HEADER]: '1',
      });
      expect(await range.text()).toBe('');
      const whole = await presigned.request({ method: 'GET', target: files('p/f.bin') });
      expect(whole.headers).toMatchObject({ [OFFSET_HEADER]: '0', [LENGTH_HEADER]: '10', [PARTIAL_HEADER]: '0' });
      await whole.text();
      // HEAD and an unsatisfiable range need no bytes: answered here.
      const head = await presigned.request({ method: 'HEAD', target: files('p/f.bin') });
      expect([head.status, head.headers['content-length']]).toEqual([200, '10']);
      const outside = await presigned.request({ method: 'GET', target: `${files('p/f.bin')}?start=10` });
      expect(outside.status).toBe(416);
      await outside.text();
    } finally {
      presigned.close();
      await presigning.onApplicationShutdown();
      await new Promise((resolve) => socketServer.close(resolve));
    }
  });

  it('stores multipart parts (filesystem: through the service)', async () => {
    const service = new ArtifactsService(new FilesystemArtifactStore(dir));
    const { upload_id: uploadId } = await service.createMultipartUpload({ path: 'm/f.bin', num_parts: 1, expires_in_seconds: 0 });
    const query = `?upload_id=${encodeURIComponent(uploadId)}&part_number=1`;
    const part = await client.request({
      method: 'PUT',
      target: dataPlanePath(DATA_PLANE_PARTS, 'm/f.bin') + query,
      body: { source: Readable.from([Buffer.from('part one')]), length: 8 },
    });
    expect(part.status).toBe(200);
    const { etag } = JSON.parse(await part.text()) as { etag: string };
    await service.completeMultipartUpload({ path: 'm/f.bin', upload_id: uploadId, parts: [{ part_number: 1, etag }] });
    expect((await get('m/f.bin')).body.toString()).toBe('part one');
  });
});
