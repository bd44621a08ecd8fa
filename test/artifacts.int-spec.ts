import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTestDatabase, freePort, REPO_ROOT, spawnNode, SpawnedProcess, stackEnv, waitFor } from '@cairn/testing';

/**
 * The artifact proxy over HTTP, as the mlflow client and browsers use it:
 * once through the embedded server (filesystem store), once in distributed
 * mode (gateway and artifacts service as processes, the real S3 server).
 * Raw requests go through node:http so paths reach the server unnormalised.
 */

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(base: string, method: string, rawPath: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (r: Reply): Record<string, unknown> => JSON.parse(r.body.toString()) as Record<string, unknown>;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const FILES = '/api/2.0/mlflow-artifacts/artifacts';

interface Server {
  base: string;
  procs: SpawnedProcess[];
  backend: 'filesystem' | 's3';
  cleanup: () => Promise<void> | void;
}

async function startEmbedded(): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-artifacts-it-'));
  const port = await freePort();
  const proc = spawnNode(
    path.join(REPO_ROOT, 'bin/cairn.js'),
    ['server', '--port', String(port), '--data-dir', dataDir],
    { ...process.env, CAIRN_LOG_LEVEL: 'warn' },
    REPO_ROOT,
  );
  return { base: `http://127.0.0.1:${port}`, procs: [proc], backend: 'filesystem', cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Gateway and artifacts service only: the proxy needs nothing else (tracking's
 * listings are covered in embedded mode). Authentication is off: this is about
 * the bytes, not the permissions.
 */
async function startDistributed(): Promise<Server> {
  const main = (svc: string): string => path.join(REPO_ROOT, 'dist/services', svc, 'src/main.js');
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const db = await createTestDatabase('cairn_artifacts_it');
  const env = {
    ...process.env,
    ...stackEnv(),
    CAIRN_MODE: 'distributed',
    CAIRN_AUTH: 'off',
    CAIRN_DATABASE_URL: db.url,
    CAIRN_PORT: String(httpPort),
    CAIRN_LOG_LEVEL: 'warn',
    CAIRN_ARTIFACTS_GRPC_URL: `127.0.0.1:${grpcPort}`,
  };
  const artifacts = spawnNode(main('artifacts'), [], { ...env, CAIRN_GRPC_LISTEN: `127.0.0.1:${grpcPort}` }, REPO_ROOT);
  const gateway = spawnNode(main('gateway'), [], env, REPO_ROOT);
  return { base: `http://127.0.0.1:${httpPort}`, procs: [gateway, artifacts], backend: 's3', cleanup: () => db.drop() };
}

function proxySuite(mode: string, start: () => Promise<Server>): void {
  describe(`artifact proxy (${mode})`, () => {
    let server: Server;
    // A fresh top-level key per run keeps runs apart on the shared S3 bucket.
    const root = `it-artifacts-${randomBytes(5).toString('hex')}`;
    const at = (p: string): string => `${FILES}/${root}/${p}`;

    beforeAll(async () => {
      if (!existsSync(path.join(REPO_ROOT, 'dist/services/gateway/src/main.js'))) throw new Error('run `npm run build` first');
      server = await start();
      try {
        await waitFor('the artifact proxy', async () => (await request(server.base, 'GET', `${FILES}?path=${root}`)).status === 200, 90_000);
      } catch (err) {
        for (const p of server.procs) console.error(p.output());
        throw err;
      }
    });

    afterAll(async () => {
      if (!server) return;
      await request(server.base, 'DELETE', `${FILES}/${root}`).catch(() => undefined);
      await Promise.all(server.procs.map((p) => p.stop()));
      await server.cleanup();
    });

    it('uploads any content type raw, downloads with length, ranges and HEAD', async () => {
      const data = randomBytes(1024 * 1024 + 123);
      const put = await request(server.base, 'PUT', at('run/artifacts/data.bin'), data, { 'content-type': 'application/json' });
      expect(put.status).toBe(200);
      expect(json(put)).toEqual({});

      const got = await request(server.base, 'GET', at('run/artifacts/data.bin'));
      expect(got.status).toBe(200);
      expect(got.headers['content-length']).toBe(String(data.length));
      expect(got.headers['accept-ranges']).toBe('bytes');
      expect(got.headers['content-disposition']).toBe('attachment; filename="data.bin"');
      expect(sha(got.body)).toBe(sha(data));

      const part = await request(server.base, 'GET', at('run/artifacts/data.bin'), undefined, { range: 'bytes=100-199' });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 100-199/${data.length}`);
      expect(part.body.equals(data.subarray(100, 200))).toBe(true);
      const tail = await request(server.base, 'GET', at('run/artifacts/data.bin'), undefined, { range: 'bytes=-10' });
      expect(tail.body.equals(data.subarray(data.length - 10))).toBe(true);
      const resume = await request(server.base, 'GET', at('run/artifacts/data.bin'), undefined, { range: `bytes=${data.length - 5}-` });
      expect(resume.status).toBe(206);
      expect(resume.body.equals(data.subarray(data.length - 5))).toBe(true);

      const outside = await request(server.base, 'GET', at('run/artifacts/data.bin'), undefined, { range: `bytes=${data.length}-` });
      expect(outside.status).toBe(416);
      expect(outside.headers['content-range']).toBe(`bytes */${data.length}`);

      const head = await request(server.base, 'HEAD', at('run/artifacts/data.bin'));
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(data.length));
      expect(head.body.length).toBe(0);
    });

    it('downloads empty files, and names that need encoding (S3: from presigned URLs)', async () => {
      expect((await request(server.base, 'PUT', at('odd/empty.bin'), '')).status).toBe(200);
      const empty = await request(server.base, 'GET', at('odd/empty.bin'));
      expect([empty.status, empty.headers['content-length'], empty.body.length]).toEqual([200, '0', 0]);
      const encoded = ['odd', 'a b%+&=é.txt'].map(encodeURIComponent).join('/');
      expect((await request(server.base, 'PUT', at(encoded), 'odd bytes')).status).toBe(200);
      const whole = await request(server.base, 'GET', at(encoded));
      expect([whole.status, whole.body.toString()]).toEqual([200, 'odd bytes']);
      const tail = await request(server.base, 'GET', at(encoded), undefined, { range: 'bytes=4-' });
      expect([tail.status, tail.headers['content-range'], tail.body.toString()]).toEqual([206, 'bytes 4-8/9', 'bytes']);
    });

    it('lists with directory semantics, and deletes a file or a prefix', async () => {
      for (const name of ['d/a.txt', 'd/sub/b.txt', 'd/sub/deeper/c.txt', 'd/empty.txt']) {
        const body = name === 'd/empty.txt' ? '' : name;
        expect((await request(server.base, 'PUT', at(name), body)).status).toBe(200);
      }
      const listed = json(await request(server.base, 'GET', `${FILES}?path=${encodeURIComponent(`${root}/d`)}`));
      expect(listed).toEqual({
        files: [
          { path: 'a.txt', is_dir: false, file_size: 7 },
          { path: 'empty.txt', is_dir: false, file_size: 0 },
          { path: 'sub', is_dir: true },
        ],
      });
      expect(json(await request(server.base, 'GET', `${FILES}?path=${root}/d/a.txt`))).toEqual({ files: [] });
      expect(json(await request(server.base, 'GET', `${FILES}?path=${root}/nothing`))).toEqual({ files: [] });

      expect((await request(server.base, 'DELETE', at('d/a.txt'))).status).toBe(200);
      expect((await request(server.base, 'DELETE', at('d/sub'))).status).toBe(200);
      expect((await request(server.base, 'DELETE', at('d/never-there'))).status).toBe(200);
      expect(json(await request(server.base, 'GET', `${FILES}?path=${root}/d`))).toEqual({
        files: [{ path: 'empty.txt', is_dir: false, file_size: 0 }],
      });
    });

    it('answers 404 for a missing file and 400 for a directory', async () => {
      const missing = await request(server.base, 'GET', at('nope/missing.bin'));
      expect(missing.status).toBe(404);
      expect(json(missing).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
      await request(server.base, 'PUT', at('dir/x.txt'), 'x');
      const dir = await request(server.base, 'GET', at('dir'));
      expect(dir.status).toBe(400);
      expect(json(dir).error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it.each([
      ['GET', '/ROOT/../../../etc/passwd'],
      ['GET', '/ROOT/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/ROOT/%252e%252e/x'],
      ['GET', '/ROOT/..%2f..%2fetc%2fpasswd'],
      ['GET', '//etc/passwd'],
      ['GET', '/%2Fetc%2Fpasswd'],
      ['GET', '/C:/Windows/win.ini'],
      ['GET', '/ROOT/a%00.txt'],
      ['GET', '/ROOT/a%5c..%5c..%5cx'],
      ['PUT', '/ROOT/../escape.txt'],
      ['PUT', '/ROOT/x/%2e%2e/%2e%2e/escape.txt'],
      ['PUT', '/%2Ftmp%2Fescape.txt'],
      ['PUT', '/ROOT/a%00b.txt'],
      ['PUT', '/ROOT/dir%5cfile.txt'],
      ['DELETE', '/..'],
      ['DELETE', '/%2e%2e'],
      ['DELETE', '/ROOT/%2e%2e/%2e%2e'],
    ])('refuses %s %s with INVALID_PARAMETER_VALUE', async (method, tail) => {
      const res = await request(server.base, method, `${FILES}${tail.replace('ROOT', root)}`, method === 'PUT' ? 'evil' : undefined);
      expect(res.status).toBe(400);
      expect(json(res).error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('refuses traversal in listings and multipart paths too', async () => {
      for (const [method, p, body] of [
        ['GET', `${FILES}?path=${root}/../..`, undefined],
        ['GET', `${FILES}?path=/etc`, undefined],
        ['GET', `${FILES}?path=%2e%2e`, undefined],
        ['POST', `/api/2.0/mlflow-artifacts/mpu/create/${root}/%2e%2e/%2e%2e`, JSON.stringify({ path: 'f.bin', num_parts: 1 })],
        ['POST', `/api/2.0/mlflow-artifacts/mpu/create/${root}/x`, JSON.stringify({ path: '..', num_parts: 1 })],
        ['POST', `/api/2.0/mlflow-artifacts/mpu/complete/${root}/x`, JSON.stringify({ path: '/tmp/..', upload_id: 'u', parts: [] })],
      ] as const) {
        const res = await request(server.base, method, p, body, body ? { 'content-type': 'application/json' } : {});
        expect([p, res.status]).toEqual([p, 400]);
        expect(json(res).error_code).toBe('INVALID_PARAMETER_VALUE');
      }
    });

    it('keeps JSON routes JSON-only', async () => {
      const res = await request(server.base, 'POST', '/api/2.0/mlflow-artifacts/mpu/abort/x', 'x', { 'content-type': 'text/plain' });
      expect(res.status).toBe(400);
      const exp = await request(server.base, 'POST', '/api/2.0/mlflow/experiments/create', '{}', {
        'content-type': 'application/x-cairn-artifact-stream',
      });
      expect(exp.status).toBe(400);
      expect(json(exp).error_code).toBe('INVALID_PARAMETER_VALUE');
    });

    it('leaves no file behind when an upload is interrupted', async () => {
      const url = new URL(server.base);
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path: at('cut/partial.bin'),
          headers: { 'content-length': String(4 * 1024 * 1024) },
        });
        req.on('error', () => resolve());
        req.write(randomBytes(1024 * 1024), () => setTimeout(() => req.destroy(), 200));
        req.on('close', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 500));
      expect((await request(server.base, 'GET', at('cut/partial.bin'))).status).toBe(404);
      expect(json(await request(server.base, 'GET', `${FILES}?path=${root}/cut`))).toEqual({ files: [] });
    });

    it("runs MLflow's multipart upload: create, PUT parts to the credential URLs, complete", async () => {
      const parts = [randomBytes(5 * 1024 * 1024), randomBytes(777)];
      const created = await request(
        server.base,
        'POST',
        `/api/2.0/mlflow-artifacts/mpu/create/${root}/mpu`,
        JSON.stringify({ path: '/home/me/big file.bin', num_parts: 2 }),
        { 'content-type': 'application/json' },
      );
      expect(created.status).toBe(200);
      const { upload_id, credentials } = json(created) as {
        upload_id: string;
        credentials: { url: string; part_number: number; headers: Record<string, string> }[];
      };
      expect(credentials.map((c) => c.part_number)).toEqual([1, 2]);
      if (server.backend === 's3') expect(credentials[0]!.url).toContain(stackEnv().CAIRN_S3_ENDPOINT!);
      else expect(credentials[0]!.url).toContain(`${server.base}/api/2.0/mlflow-artifacts/mpu/upload-part/`);
      const done: { part_number: number; etag: string; url: string }[] = [];
      for (const [i, c] of credentials.entries()) {
        const res = await fetch(c.url, { method: 'PUT', body: parts[i], headers: c.headers });
        expect(res.status).toBe(200);
        done.push({ part_number: c.part_number, etag: res.headers.get('etag') ?? '', url: c.url });
      }
      expect((await request(server.base, 'GET', at('mpu/big%20file.bin'))).status).toBe(404);
      const completed = await request(
        server.base,
        'POST',
        `/api/2.0/mlflow-artifacts/mpu/complete/${root}/mpu`,
        JSON.stringify({ path: '/home/me/big file.bin', upload_id, parts: done }),
        { 'content-type': 'application/json' },
      );
      expect(completed.status).toBe(200);
      const got = await request(server.base, 'GET', at('mpu/big%20file.bin'));
      expect(sha(got.body)).toBe(sha(Buffer.concat(parts)));

      const again = await request(
        server.base,
        'POST',
        `/api/2.0/mlflow-artifacts/mpu/create/${root}/mpu`,
        JSON.stringify({ path: 'aborted.bin', num_parts: 1 }),
        { 'content-type': 'application/json' },
      );
      const aborted = await request(
        server.base,
        'POST',
        `/ajax-api/2.0/mlflow-artifacts/mpu/abort/${root}/mpu`,
        JSON.stringify({ path: 'aborted.bin', upload_id: (json(again) as { upload_id: string }).upload_id }),
        { 'content-type': 'application/json' },
      );
      expect(aborted.status).toBe(200);
      expect((await request(server.base, 'GET', at('mpu/aborted.bin'))).status).toBe(404);
    });

    it('hands out presigned downloads where the store has them', async () => {
      await request(server.base, 'PUT', at('p/file.txt'), 'presigned');
      const res = await request(server.base, 'GET', `/api/2.0/mlflow-artifacts/presigned/${root}/p/file.txt`);
      if (server.backend === 'filesystem') {
        expect(res.status).toBe(501);
        return;
      }
      expect(res.status).toBe(200);
      const signed = json(res) as { url: string; file_size: number };
      expect(signed.file_size).toBe(9);
      expect(await (await fetch(signed.url)).text()).toBe('presigned');
    });
  });
}

proxySuite('embedded, filesystem', startEmbedded);
proxySuite('distributed, S3', startDistributed);

describe('tracking artifact listings (embedded)', () => {
  let server: Server;
  const api = (p: string): string => `/api/2.0/mlflow/${p}`;
  const post = (p: string, body: unknown): Promise<Reply> =>
    request(server.base, 'POST', api(p), JSON.stringify(body), { 'content-type': 'application/json' });

  beforeAll(async () => {
    server = await startEmbedded();
    await waitFor('embedded server', async () => (await request(server.base, 'GET', '/health')).status === 200, 90_000);
  });

  afterAll(async () => {
    await Promise.all(server.procs.map((p) => p.stop()));
    await server.cleanup();
  });

  it("lists a run's artifacts under its artifact root (artifacts/list)", async () => {
    const exp = json(await post('experiments/create', { name: `art-${randomBytes(4).toString('hex')}` })) as { experiment_id: string };
    const created = await post('runs/create', { experiment_id: exp.experiment_id, start_time: Date.now() });
    expect(created.status).toBe(200);
    const run = (json(created) as { run: { info: { run_id: string; artifact_uri: string } } }).run.info;
    expect(run.artifact_uri).toBe(`mlflow-artifacts:/${exp.experiment_id}/${run.run_id}/artifacts`);
    const root = `${FILES}/${exp.experiment_id}/${run.run_id}/artifacts`;
    await request(server.base, 'PUT', `${root}/top.txt`, 'top');
    await request(server.base, 'PUT', `${root}/model/MLmodel`, 'flavors: {}');

    const top = await request(server.base, 'GET', `${api('artifacts/list')}?run_id=${run.run_id}`);
    expect(json(top)).toEqual({
      root_uri: run.artifact_uri,
      files: [
        { path: 'model', is_dir: true },
        { path: 'top.txt', is_dir: false, file_size: 3 },
      ],
    });
    const sub = await request(server.base, 'GET', `/ajax-api/2.0/mlflow/artifacts/list?run_id=${run.run_id}&path=model`);
    expect(json(sub).files).toEqual([{ path: 'model/MLmodel', is_dir: false, file_size: 11 }]);

    const escape = await request(server.base, 'GET', `${api('artifacts/list')}?run_id=${run.run_id}&path=../..`);
    expect(escape.status).toBe(400);
    expect(json(escape).error_code).toBe('INVALID_PARAMETER_VALUE');
    const unknown = await request(server.base, 'GET', `${api('artifacts/list')}?run_id=${'f'.repeat(32)}`);
    expect(unknown.status).toBe(404);
  });

  it("lists a logged model's artifacts (logged-models/<id>/artifacts/directories)", async () => {
    const exp = json(await post('experiments/create', { name: `lm-${randomBytes(4).toString('hex')}` })) as { experiment_id: string };
    const created = await post('logged-models', { experiment_id: exp.experiment_id, name: 'm' });
    expect(created.status).toBe(200);
    const info = (json(created) as { model: { info: { model_id: string; artifact_uri: string } } }).model.info;
    const root = `${FILES}/${exp.experiment_id}/models/${info.model_id}/artifacts`;
    await request(server.base, 'PUT', `${root}/MLmodel`, 'x');
    await request(server.base, 'PUT', `${root}/data/model.pkl`, 'pkl');
    const listed = await request(server.base, 'GET', api(`logged-models/${info.model_id}/artifacts/directories`));
    expect(json(listed)).toEqual({
      root_uri: info.artifact_uri,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 1 },
        { path: 'data', is_dir: true },
      ],
    });
    const sub = await request(server.base, 'GET', api(`logged-models/${info.model_id}/artifacts/directories?artifact_directory_path=data`));
    expect(json(sub).files).toEqual([{ path: 'data/model.pkl', is_dir: false, file_size: 3 }]);
  });
});
