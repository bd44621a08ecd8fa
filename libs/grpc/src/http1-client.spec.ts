import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { BufferPool, pipeBytes } from './byte-pipe';
import { endpointOf, Http1Client, Http1Endpoint } from './http1-client';

/** A sink that keeps everything, slowly when asked (one chunk per macrotask). */
function collector(slow = false): { sink: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      if (slow) setImmediate(callback);
      else callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(parts) };
}

function pieces(data: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
    })(),
  );
}

async function readAll(req: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('Http1Client', () => {
  const big = randomBytes(5 * 1024 * 1024 + 7);
  let server: http.Server;
  let endpoint: Http1Endpoint;
  const sockets = new Set<net.Socket>();
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;

  beforeAll(async () => {
    server = http.createServer((req, res) => handler(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s: net.Socket) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => sockets.clear());

  it('pipes a Content-Length body into a slow sink, and reuses the connection', async () => {
    handler = (req, res) => {
      const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      const body = range ? big.subarray(Number(range[1]), Number(range[2]) + 1) : big;
      res.writeHead(range ? 206 : 200, { 'content-length': body.length, 'x-test': 'a' });
      res.end(body);
    };
    const client = new Http1Client(endpoint);
    const first = await client.request({ method: 'GET', target: '/f' });
    expect(first.status).toBe(200);
    expect(first.length).toBe(big.length);
    expect(first.headers['x-test']).toBe('a');
    const { sink, bytes } = collector(true);
    await first.pipeTo(sink);
    await new Promise((resolve) => sink.end(resolve));
    expect(bytes().equals(big)).toBe(true);
    const second = await client.request({ method: 'GET', target: '/f', headers: { range: 'bytes=10-19' } });
    expect(second.status).toBe(206);
    expect((await second.text()).length).toBeGreaterThan(0);
    expect(sockets.size).toBe(1);
    client.close();
  });

  it('answers HEAD without a body, and reads chunked and close-delimited bodies as streams', async () => {
    handler = (req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': 12345 }).end();
      } else if (req.url === '/chunked') {
        res.write('hello ');
        setTimeout(() => res.end('world'), 10);
      } else {
        res.writeHead(200, { connection: 'close' });
        res.end('until close');
      }
    };
    const client = new Http1Client(endpoint);
    const head = await client.request({ method: 'HEAD', target: '/x' });
    expect(head.length).toBe(12345);
    expect(await head.text()).toBe('');
    expect(await (await client.request({ method: 'GET', target: '/chunked' })).text()).toBe('hello world');
    expect(await (await client.request({ method: 'GET', target: '/close' })).text()).toBe('until close');
    client.close();
  });

  it('sends bodies with Content-Length or chunked', async () => {
    handler = (req, res) => {
      void readAll(req).then((body) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null, n: body.length, ok: body.equals(big) }));
      });
    };
    const client = new Http1Client(endpoint);
    const known = await client.request({ method: 'PUT', target: '/k', body: { source: pieces(big, 65536), length: big.length } });
    expect(JSON.parse(await known.text())).toEqual({ te: null, cl: String(big.length), n: big.length, ok: true });
    const unknown = await client.request({ method: 'PUT', target: '/u', body: { source: pieces(big, 100_000) } });
    expect(JSON.parse(await unknown.text())).toEqual({ te: 'chunked', cl: null, n: big.length, ok: true });
    client.close();
  });

  it('fails a body that ends short of its declared length, without sending the end', async () => {
    let seen = -1;
    handler = (req) => {
      readAll(req).then(
        (b) => (seen = b.length),
        () => (seen = -2),
      );
    };
    const client = new Http1Client(endpoint);
    await expect(client.request({ method: 'PUT', target: '/s', body: { source: Readable.from([Buffer.alloc(10)]), length: 20 } })).rejects.toThrow(
      /ended after 10 of its declared 20 bytes/,
    );
    await new Promise((r) => setTimeout(r, 50));
    // Never a complete request: the server saw nothing, or a request cut short.
    expect(seen).toBeLessThan(0);
    client.close();
  });

  it('stops sending when the server answers first, and leaves the rest of the body to the caller', async () => {
    handler = (_req, res) => {
      res.writeHead(413, { 'content-length': 4, connection: 'close' });
      res.end('nope');
    };
    const client = new Http1Client(endpoint);
    const source = pieces(big, 65536);
    const response = await client.request({ method: 'PUT', target: '/early', body: { source, length: big.length } });
    expect(response.status).toBe(413);
    expect(await response.text()).toBe('nope');
    expect(source.readableEnded).toBe(false);
    source.destroy();
    client.close();
  });

  it('rejects the pipe when the server goes away mid-body, and cancels the request when the sink closes', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': big.length });
      res.write(big.subarray(0, 1000), () => setTimeout(() => res.socket?.destroy(), 20));
    };
    const client = new Http1Client(endpoint);
    const cut = await client.request({ method: 'GET', target: '/cut' });
    await expect(cut.pipeTo(collector().sink)).rejects.toThrow();

    let serverSaw = '';
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': big.length * 20 });
      const write = (): void => {
        if (res.write(big)) setImmediate(write);
        else res.once('drain', write);
      };
      res.on('close', () => (serverSaw = 'closed'));
      write();
    };
    const response = await client.request({ method: 'GET', target: '/endless' });
    const { sink } = collector(true);
    setTimeout(() => sink.destroy(), 30);
    await expect(response.pipeTo(sink)).rejects.toThrow(/went away/);
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSaw).toBe('closed');
    client.close();
  });

  it('retries a bodiless request once when its kept-alive connection turns out closed', async () => {
    handler = (_req, res) => res.end('ok');
    const client = new Http1Client(endpoint, { idleMs: 60_000 });
    expect(await (await client.request({ method: 'GET', target: '/a' })).text()).toBe('ok');
    // The server drops the idle connection; the client may not have noticed yet.
    for (const s of sockets) s.destroy();
    expect(await (await client.request({ method: 'GET', target: '/b' })).text()).toBe('ok');
    client.close();
  });

  it('refuses header values that would split the request', async () => {
    const client = new Http1Client(endpoint);
    await expect(client.request({ method: 'GET', target: '/x', headers: { 'x-a': 'b\r\nx-c: d' } })).rejects.toThrow(/Invalid header/);
    client.close();
  });

  it('pipeBytes writes a plain stream too', async () => {
    const { sink, bytes } = collector(true);
    await pipeBytes(pieces(big, 12345), sink);
    await new Promise((resolve) => sink.end(resolve));
    expect(bytes().equals(big)).toBe(true);
  });
});

describe('Http1Client over a unix socket', () => {
  it('talks to a server on a socket path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-http1-'));
    const socketPath = path.join(dir, 's.sock');
    const server = http.createServer((_req, res) => res.end('via unix'));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const client = new Http1Client(endpointOf(`unix:${socketPath}`));
      expect(await (await client.request({ method: 'GET', target: '/' })).text()).toBe('via unix');
      client.close();
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses gRPC-style addresses', () => {
    expect(endpointOf('127.0.0.1:50052')).toEqual({ host: '127.0.0.1', port: 50052 });
    expect(endpointOf('artifacts:50052')).toEqual({ host: 'artifacts', port: 50052 });
    expect(endpointOf('unix:/tmp/a.sock')).toEqual({ path: '/tmp/a.sock' });
  });
});

describe('BufferPool', () => {
  it('reuses buffers, keeps a few, and hands out small one-off buffers past its budget', () => {
    const pool = new BufferPool(1024, 1, 2);
    const a = pool.take();
    const b = pool.take();
    expect(pool.outstanding).toBe(2);
    const overflow = pool.take();
    expect(overflow.length).toBeLessThan(1024 * 1024);
    expect(pool.outstanding).toBe(2);
    pool.give(overflow); // not one of its own: ignored
    pool.give(a);
    pool.give(a); // twice: ignored
    expect(pool.outstanding).toBe(1);
    expect(pool.take()).toBe(a);
    pool.give(b);
    expect(pool.outstanding).toBe(1);
  });
});
