/* eslint-disable @typescript-eslint/no-require-imports */
import * as http from 'node:http';
import type * as Http2 from 'node:http2';
import * as net from 'node:net';
import { withGrpcPort } from './grpc-port';

const http2 = require('node:http2') as typeof Http2;

describe('withGrpcPort', () => {
  let server: Http2.Http2Server;
  let port: number;
  const http1 = http.createServer((req, res) => res.end(`http/1.1 ${req.method} ${req.url}`));

  beforeAll(async () => {
    server = await withGrpcPort({ http1: (socket) => http1.emit('connection', socket) }, async () => {
      const created = http2.createServer();
      created.on('stream', (stream, headers) => {
        stream.respond({ ':status': 200 });
        stream.end(`h2 ${String(headers[':path'])}`);
      });
      await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
      return created;
    });
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    http1.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves http2.createServer as it was afterwards', () => {
    expect(http2.createServer).toBe(require('node:http2').createServer);
    expect(typeof http2.createServer).toBe('function');
  });

  it('serves HTTP/2 (gRPC) and HTTP/1.1 on the one port', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const h2 = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/grpc.health.v1.Health/Check' });
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => resolve(text));
      req.on('error', reject);
      req.end();
    });
    session.close();
    expect(h2).toBe('h2 /grpc.health.v1.Health/Check');

    const h1 = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/v1/files/a' }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(h1).toBe('http/1.1 GET /v1/files/a');
  });

  it('tells them apart when the first bytes arrive one at a time', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const request = 'PUT /x HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';
      let reply = '';
      socket.on('data', (d: Buffer) => (reply += d.toString()));
      socket.on('end', () => resolve(reply));
      socket.on('error', reject);
      let i = 0;
      const next = (): void => {
        if (i < 3) {
          socket.write(request[i++]!);
          setTimeout(next, 10);
        } else socket.write(request.slice(3));
      };
      next();
    });
    expect(text).toContain('http/1.1 PUT /x');
  });

  it('copes with connections that close before saying anything', async () => {
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end());
      socket.on('close', () => resolve());
    });
  });
});
