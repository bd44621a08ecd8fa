import * as net from 'node:net';
import { Readable } from 'node:stream';
import * as tls from 'node:tls';
import { ByteSink, READ_BUFFERS } from './byte-pipe';

/**
 * A small HTTP/1.1 client for the artifact byte paths (gateway → artifacts
 * service data plane, gateway → S3 for downloads, artifacts service → S3 for
 * uploads). Node's http client hands a response body over in 64 KiB pieces
 * through its JavaScript parser and stream machinery, which at GB/s costs
 * more CPU than the copying itself; here a plain-TCP response is read into
 * large reused buffers (`onread`) and `pipeTo` writes them straight on, so
 * one proxy hop costs about a third of the CPU of
 * `http.request(...).pipe(res)`.
 *
 * Scope, on purpose: one request at a time per connection, request bodies
 * with Content-Length or chunked, response bodies with Content-Length,
 * chunked or until close; idle connections are kept for reuse. TLS works
 * (Node's TLS socket cannot read into caller buffers, so it takes the
 * ordinary path).
 */

export type Http1Endpoint = { host: string; port: number; tls?: boolean; servername?: string } | { path: string };

export interface Http1ClientOptions {
  /** Idle connections kept for reuse (0: none). */
  maxIdle?: number;
  /** An idle connection is closed after this long; keep it below the server's keep-alive timeout. */
  idleMs?: number;
}

export interface Http1Request {
  method: string;
  /** Request target, already percent-encoded (path and query). */
  target: string;
  /** Lower-case names; `host` is added from the endpoint unless given. */
  headers?: Record<string, string>;
  /** Streamed with backpressure: Content-Length when `length` is given, else chunked. */
  body?: { source: Readable; length?: number };
}

/** Write buffer of a client socket: a request body keeps up to this much queued. */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
/** Read buffer of an idle connection (and of the first read of an answer: its head). */
const IDLE_READ_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
// eslint-disable-next-line no-control-regex
const UNSAFE_HEADER = /[\r\n\u0000]/;

export class Http1ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Http1ProtocolError';
  }
}

/** A failure before any response byte arrived (the request may be retried when it had no body). */
class NoResponseError extends Error {
  constructor(readonly reason: Error) {
    super(reason.message);
  }
}

/** A reused read buffer, handed back to the pool when the last write carrying part of it completes. */
class Lease {
  private refs = 1;

  constructor(
    readonly buffer: Buffer,
    private readonly pooled: boolean,
  ) {}

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0 && this.pooled) READ_BUFFERS.give(this.buffer);
  }
}

type Framing =
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number; line: string }
  | { kind: 'close' };

/** One piece of body bytes (a view into a lease). */
interface Piece {
  lease: Lease;
  start: number;
  end: number;
}

/**
 * The response: status and headers once the head has arrived; the body is
 * read only when asked for (pipeTo, the Readable interface, or text).
 */
export class Http1Response extends Readable {
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Record<string, string> = {};
  status = 0;
  /** False when the server answered before the whole request body was sent (the body was abandoned). */
  requestComplete = false;
  /** Content-Length of the body, when the server gave one. */
  length: number | undefined;

  private sink: ByteSink | null = null;
  private sinkWaiting = false;
  private mode: 'idle' | 'pipe' | 'stream' = 'idle';
  private pending: Piece[] = [];
  private bodyDone = false;
  private ended = false;
  private failure: Error | null = null;
  private settle: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly exchange: Exchange) {
    super({ highWaterMark: 0 });
  }

  /** Writes the body to `sink` (not ending it), reusing read buffers; rejects when either side fails. */
  pipeTo(sink: ByteSink): Promise<void> {
    if (this.mode !== 'idle') return Promise.reject(new Error('The response body is already being read'));
    this.mode = 'pipe';
    this.sink = sink;
    return new Promise<void>((resolve, reject) => {
      const onClose = (): void => this.fail(new Error('The receiver went away'));
      const detach = (): void => {
        sink.off('close', onClose);
        sink.off('drain', this.onSinkDrain);
      };
      this.settle = {
        resolve: () => {
          detach();
          resolve();
        },
        reject: (error) => {
          detach();
          reject(error);
        },
      };
      if (this.failure) return this.settleFailure();
      if (sink.destroyed) return onClose();
      sink.once('close', onClose);
      this.flush();
    });
  }

  /** The body as text (error bodies, small answers); at most `limit` characters are kept. */
  async text(limit = 64 * 1024): Promise<string> {
    let text = '';
    for await (const chunk of this as AsyncIterable<Buffer>) {
      if (text.length < limit) text += chunk.toString('utf8');
    }
    return text.length > limit ? text.slice(0, limit) : text;
  }

  override _read(): void {
    if (this.mode === 'idle') this.mode = 'stream';
    if (this.mode !== 'stream') return;
    if (this.failure) return this.settleFailure();
    this.flush();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.releasePending();
    if (!this.bodyDone) this.exchange.abort(error ?? new Error('The response was abandoned'));
    if (this.settle) {
      // Destroyed while piping: the pipe fails.
      this.failure ??= error ?? new Error('The response was abandoned');
      this.settleFailure();
    }
    callback(error);
  }

  /** Body bytes from the connection, kept until the consumer takes them. */
  deliver(piece: Piece): void {
    piece.lease.retain();
    this.pending.push(piece);
  }

  /** The body ended (its framing is satisfied). */
  complete(): void {
    this.bodyDone = true;
  }

  /** The connection failed before the body ended, or the consumer gave up. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.releasePending();
    if (!this.bodyDone) this.exchange.abort(error);
    this.settleFailure();
  }

  /** True when the connection may read on now. */
  get wantsMore(): boolean {
    return this.failure === null && this.mode !== 'idle' && !this.sinkWaiting && this.pending.length === 0;
  }

  /** Hands pending pieces to the consumer; resumes the connection once the consumer has taken everything. */
  flush(): void {
    if (this.failure) return;
    if (this.mode === 'pipe') {
      const sink = this.sink!;
      while (this.pending.length > 0 && !this.sinkWaiting) {
        const piece = this.pending.shift()!;
        const ok = sink.write(piece.lease.buffer.subarray(piece.start, piece.end), () => piece.lease.release());
        if (!ok) {
          this.sinkWaiting = true;
          sink.once('drain', this.onSinkDrain);
        }
      }
      if (this.pending.length === 0 && this.bodyDone) {
        const settle = this.settle;
        this.settle = null;
        settle?.resolve();
        return;
      }
    } else if (this.mode === 'stream') {
      let more = true;
      while (this.pending.length > 0 && more) {
        const piece = this.pending.shift()!;
        // Stream consumers keep what they read: hand them a copy and reuse the buffer.
        const copy = Buffer.allocUnsafe(piece.end - piece.start);
        piece.lease.buffer.copy(copy, 0, piece.start, piece.end);
        piece.lease.release();
        more = this.push(copy);
      }
      if (this.pending.length === 0 && this.bodyDone) {
        if (!this.readableEnded && !this.ended) {
          this.ended = true;
          this.push(null);
        }
        return;
      }
      if (!more) return;
    } else {
      return;
    }
    if (this.wantsMore) this.exchange.resumeReading();
  }

  private settleFailure(): void {
    const error = this.failure!;
    if (this.mode === 'pipe') {
      const settle = this.settle;
      this.settle = null;
      settle?.reject(error);
    } else if (this.mode === 'stream' && !this.destroyed) {
      this.destroy(error);
    }
  }

  private releasePending(): void {
    for (const piece of this.pending.splice(0)) piece.lease.release();
  }

  private readonly onSinkDrain = (): void => {
    this.sinkWaiting = false;
    this.flush();
  };
}

/** One connection, reused for one request after another. */
class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    endpoint: Http1Endpoint,
    private readonly onGone: (connection: Connection) => void,
  ) {
    if ('path' in endpoint) {
      this.socket = net.connect({
        path: endpoint.path,
        onread: { buffer: () => this.nextBuffer(), callback: (n, buffer) => this.onRead(n, buffer as Buffer) },
        writableHighWaterMark: WRITE_HIGH_WATER_MARK,
      } as net.IpcNetConnectOpts);
    } else if (endpoint.tls) {
      this.socket = tls.connect({ host: endpoint.host, port: endpoint.port, servername: endpoint.servername ?? endpoint.host });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      this.socket = net.connect({
        host: endpoint.host,
        port: endpoint.port,
        noDelay: true,
        onread: { buffer: () => this.nextBuffer(), callback: (n, buffer) => this.onRead(n, buffer as Buffer) },
        writableHighWaterMark: WRITE_HIGH_WATER_MARK,
      } as net.TcpNetConnectOpts);
    }
    this.socket.on('error', (error) => this.gone(error));
    this.socket.on('close', () => this.gone(new Error('The connection closed')));
    this.socket.on('end', () => this.exchange?.onEnd());
  }

  /**
   * The buffer the next read lands in: a pooled one while a request is under
   * way; a small one of its own while idle (an idle connection reads only to
   * notice a close, or the head of the next answer), so idle connections
   * hold no pool buffer.
   */
  private nextBuffer(): Buffer {
    return this.exchange !== null ? READ_BUFFERS.take() : Buffer.allocUnsafe(IDLE_READ_BYTES);
  }

  private onRead(n: number, buffer: Buffer): boolean {
    const lease = new Lease(buffer, true);
    try {
      return this.receive(lease, n);
    } finally {
      lease.release();
    }
  }

  private onData(chunk: Buffer): void {
    const lease = new Lease(chunk, false);
    try {
      if (!this.receive(lease, chunk.length)) this.socket.pause();
    } finally {
      lease.release();
    }
  }

  /** Bytes from the server; false pauses reading. */
  private receive(lease: Lease, n: number): boolean {
    if (this.exchange === null) {
      // Nothing was asked: a server talking out of turn. Not reusable.
      this.socket.destroy();
      return false;
    }
    return this.exchange.receive(lease, n);
  }

  idle(): void {
    this.exchange = null;
  }

  startIdleTimer(ms: number): void {
    this.idleTimer = setTimeout(() => this.socket.destroy(), ms);
    this.idleTimer.unref();
  }

  stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private gone(error: Error): void {
    if (!this.closed) {
      this.closed = true;
      this.stopIdleTimer();
      this.onGone(this);
    }
    if (!this.socket.destroyed) this.socket.destroy();
    this.exchange?.onConnectionError(error);
  }
}

/** One request and its response on a connection. */
class Exchange {
  private head: Buffer = EMPTY;
  private framing: Framing | null = null;
  response: Http1Response | null = null;
  private requestDone = false;
  private responseDone = false;
  private abandoned = false;
  private gotBytes = false;
  private finished = false;
  private stopBody: (() => void) | null = null;

  constructor(
    private readonly connection: Connection,
    private readonly request: Http1Request,
    private readonly onHead: (response: Http1Response) => void,
    private readonly onFail: (error: Error) => void,
    private readonly onFinished: (reusable: boolean) => void,
  ) {}

  start(hostHeader: string): void {
    const socket = this.connection.socket;
    const headers: Record<string, string> = { host: hostHeader, ...this.request.headers };
    const body = this.request.body;
    if (body) {
      if (body.length !== undefined) headers['content-length'] = String(body.length);
      else headers['transfer-encoding'] = 'chunked';
    }
    let head = `${this.request.method} ${this.request.target} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      if (UNSAFE_HEADER.test(name) || UNSAFE_HEADER.test(value) || name.includes(':')) {
        throw new Http1ProtocolError(`Invalid header ${JSON.stringify(name)}`);
      }
      head += `${name}: ${value}\r\n`;
    }
    if (UNSAFE_HEADER.test(this.request.target) || this.request.target.includes(' ')) throw new Http1ProtocolError('Invalid request target');
    socket.write(`${head}\r\n`);
    if (!body) {
      this.requestDone = true;
      return;
    }
    this.sendBody(body.source, body.length);
  }

  /** Streams the request body with backpressure; the socket's writes are batched per tick. */
  private sendBody(source: Readable, length: number | undefined): void {
    const socket = this.connection.socket;
    const chunked = length === undefined;
    let sent = 0;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      socket.uncork();
    };
    const onData = (chunk: Buffer): void => {
      if (chunk.length === 0) return;
      sent += chunk.length;
      if (length !== undefined && sent > length) {
        fail(new Http1ProtocolError(`The request body is longer than its declared ${length} bytes`));
        return;
      }
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      let ok: boolean;
      if (chunked) {
        socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        ok = socket.write('\r\n');
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) {
        source.pause();
        socket.once('drain', onDrain);
      }
    };
    const onDrain = (): void => {
      if (!this.abandoned && !this.finished) source.resume();
    };
    const onEnd = (): void => {
      detach();
      if (length !== undefined && sent !== length) {
        this.fail(new Http1ProtocolError(`The request body ended after ${sent} of its declared ${length} bytes`));
        return;
      }
      if (chunked) socket.write('0\r\n\r\n');
      this.requestDone = true;
      this.maybeFinish();
    };
    const onError = (error: Error): void => fail(error);
    const fail = (error: Error): void => {
      detach();
      this.fail(error);
    };
    const detach = (): void => {
      source.pause();
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      socket.off('drain', onDrain);
    };
    this.stopBody = detach;
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    if (source.isPaused()) source.resume();
  }

  /** Bytes from the server; false stops reading until the consumer asks for more. */
  receive(lease: Lease, n: number): boolean {
    this.gotBytes = true;
    let at = 0;
    while (this.response === null) {
      at = this.readHead(lease.buffer, at, n);
      if (at < 0 || this.finished) return !this.finished;
    }
    const response = this.response;
    at = this.readBody(lease, at, n);
    if (at < 0) return false;
    if (at < n) {
      // Bytes beyond the response: the server is out of step; this connection is done.
      this.fail(new Http1ProtocolError('The server sent more than the response'));
      return false;
    }
    response.flush();
    if (this.responseDone) {
      this.maybeFinish();
      // Back in the pool: keep reading, to notice when the server closes it.
      return this.connection.exchange !== this;
    }
    return response.wantsMore;
  }

  /** Resumes reading the socket (the consumer took everything it was given). */
  resumeReading(): void {
    if (!this.responseDone && !this.finished) this.connection.socket.resume();
  }

  /**
   * Reads the head from buffer[at, n): returns the offset of the first byte
   * after it, or -1 while it is incomplete (the bytes are kept) or broken.
   */
  private readHead(buffer: Buffer, at: number, n: number): number {
    const before = this.head.length;
    const bytes = buffer.subarray(at, Math.min(n, at + MAX_HEAD_BYTES + 4));
    const joined = before > 0 ? Buffer.concat([this.head, bytes]) : bytes;
    const i = joined.indexOf(HEAD_END, Math.max(0, before - 3));
    if (i < 0) {
      if (joined.length > MAX_HEAD_BYTES) {
        this.fail(new Http1ProtocolError('The response head is too large'));
        return -1;
      }
      this.head = Buffer.from(joined);
      return -1;
    }
    this.head = EMPTY;
    if (!this.parseHead(joined.toString('latin1', 0, i))) return -1;
    return at + i + 4 - before;
  }

  private parseHead(text: string): boolean {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!statusLine) {
      this.fail(new Http1ProtocolError(`Not an HTTP/1.1 response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`));
      return false;
    }
    const status = Number(statusLine[1]);
    if (status >= 100 && status < 200) {
      // An interim answer (100 Continue): the real one follows.
      return true;
    }
    const response = new Http1Response(this);
    response.status = status;
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.fail(new Http1ProtocolError('Malformed response header'));
        return false;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      response.headers[name] = name in response.headers ? `${response.headers[name]}, ${value}` : value;
    }
    const noBody = this.request.method === 'HEAD' || status === 204 || status === 304;
    const te = response.headers['transfer-encoding'];
    const cl = response.headers['content-length'];
    if (cl !== undefined) {
      const n = Number(cl);
      if (!/^\d+$/.test(cl) || !Number.isSafeInteger(n)) {
        this.fail(new Http1ProtocolError(`Invalid Content-Length '${cl}'`));
        return false;
      }
      response.length = n;
    }
    if (noBody) this.framing = { kind: 'length', remaining: 0 };
    else if (te !== undefined && /chunked\s*$/i.test(te)) this.framing = { kind: 'chunked', state: 'size', remaining: 0, line: '' };
    else if (response.length !== undefined) this.framing = { kind: 'length', remaining: response.length };
    else this.framing = { kind: 'close' };
    response.requestComplete = this.requestDone;
    if (!this.requestDone) {
      // Answered before the request body was all sent: stop sending it; the caller decides what to do with the rest.
      this.abandoned = true;
      this.stopBody?.();
    }
    this.response = response;
    if (this.framing.kind === 'length' && this.framing.remaining === 0) this.endBody();
    this.onHead(response);
    return true;
  }

  /** Hands body bytes to the response; returns how far it read, or -1 after a failure. */
  private readBody(lease: Lease, at: number, n: number): number {
    const framing = this.framing!;
    const response = this.response!;
    if (this.responseDone) return at;
    if (framing.kind === 'length') {
      const take = Math.min(framing.remaining, n - at);
      if (take > 0) response.deliver({ lease, start: at, end: at + take });
      framing.remaining -= take;
      if (framing.remaining === 0) this.endBody();
      return at + take;
    }
    if (framing.kind === 'close') {
      if (n > at) response.deliver({ lease, start: at, end: n });
      return n;
    }
    const buffer = lease.buffer;
    while (at < n && !this.responseDone) {
      if (framing.state === 'data') {
        const take = Math.min(framing.remaining, n - at);
        response.deliver({ lease, start: at, end: at + take });
        framing.remaining -= take;
        at += take;
        if (framing.remaining === 0) framing.state = 'data-end';
        continue;
      }
      const nl = buffer.indexOf(10, at);
      const stop = nl < 0 || nl >= n ? n : nl + 1;
      framing.line += buffer.toString('latin1', at, stop);
      at = stop;
      if (framing.line.length > 4096) {
        this.fail(new Http1ProtocolError('Malformed chunked body'));
        return -1;
      }
      if (!framing.line.endsWith('\n')) continue;
      const line = framing.line.replace(/\r?\n$/, '');
      framing.line = '';
      if (framing.state === 'data-end') {
        if (line !== '') {
          this.fail(new Http1ProtocolError('Malformed chunked body'));
          return -1;
        }
        framing.state = 'size';
      } else if (framing.state === 'size') {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0 || !/^[0-9a-fA-F]+/.test(line.trim())) {
          this.fail(new Http1ProtocolError('Malformed chunk size'));
          return -1;
        }
        if (size === 0) framing.state = 'trailer';
        else {
          framing.state = 'data';
          framing.remaining = size;
        }
      } else if (line === '') {
        this.endBody(); // end of trailers
      }
    }
    return at;
  }

  private endBody(): void {
    this.responseDone = true;
    this.response?.complete();
  }

  /** The server closed its side. */
  onEnd(): void {
    if (this.response && this.framing?.kind === 'close' && !this.responseDone) {
      this.endBody();
      this.response.flush();
      this.maybeFinish();
    }
  }

  onConnectionError(error: Error): void {
    if (this.finished) return;
    this.fail(this.gotBytes ? error : new NoResponseError(error));
  }

  /** The consumer gave up on the response (or the caller on the request): this connection is done. */
  abort(error: Error): void {
    if (this.finished) return;
    this.fail(error);
  }

  private fail(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.stopBody?.();
    this.connection.socket.destroy();
    if (this.response) this.response.fail(error);
    else this.onFail(error);
    this.onFinished(false);
  }

  private maybeFinish(): void {
    if (this.finished || !this.responseDone) return;
    if (!this.requestDone && !this.abandoned) return;
    this.finished = true;
    const reusable =
      this.requestDone && !this.abandoned && this.framing?.kind !== 'close' && !/\bclose\b/i.test(this.response?.headers.connection ?? '');
    this.onFinished(reusable);
  }
}

/** Requests to one endpoint, over kept-alive connections. */
export class Http1Client {
  private readonly idle: Connection[] = [];
  private readonly maxIdle: number;
  private readonly idleMs: number;
  private readonly hostHeader: string;
  private closed = false;

  constructor(
    private readonly endpoint: Http1Endpoint,
    options: Http1ClientOptions = {},
  ) {
    this.maxIdle = options.maxIdle ?? 8;
    this.idleMs = options.idleMs ?? 4000;
    if ('path' in endpoint) this.hostHeader = 'localhost';
    else this.hostHeader = endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
  }

  /**
   * Sends a request; resolves with the response once its head has arrived
   * (read the body with pipeTo, as a stream, or text(), or destroy it).
   * Rejects when the connection fails first. A request without a body that
   * finds its reused connection closed is sent once more on a new one.
   */
  async request(request: Http1Request): Promise<Http1Response> {
    const reused = this.idle.length > 0;
    try {
      return await this.attempt(request);
    } catch (error) {
      if (error instanceof NoResponseError && reused && !request.body) return this.attempt(request, true);
      throw error instanceof NoResponseError ? error.reason : error;
    }
  }

  /** Closes the idle connections; later requests still work. */
  close(): void {
    this.closed = true;
    for (const connection of this.idle.splice(0)) connection.socket.destroy();
  }

  private attempt(request: Http1Request, fresh = false): Promise<Http1Response> {
    const connection = (!fresh && this.idle.pop()) || new Connection(this.endpoint, (c) => this.forget(c));
    connection.stopIdleTimer();
    return new Promise<Http1Response>((resolve, reject) => {
      const exchange = new Exchange(
        connection,
        request,
        resolve,
        (error) => reject(error),
        (reusable) => this.finished(connection, reusable),
      );
      connection.exchange = exchange;
      try {
        exchange.start(this.hostHeader);
      } catch (error) {
        connection.socket.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      connection.socket.resume();
    });
  }

  private finished(connection: Connection, reusable: boolean): void {
    if (!reusable || connection.closed || this.closed || this.idle.length >= this.maxIdle) {
      connection.exchange = null;
      connection.socket.destroy();
      return;
    }
    connection.idle();
    connection.startIdleTimer(this.idleMs);
    this.idle.push(connection);
    // Idle: read (and notice a close) without a buffer of the pool held back.
    connection.socket.resume();
  }

  private forget(connection: Connection): void {
    const i = this.idle.indexOf(connection);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

/** The endpoint of a gRPC-style address: `host:port` or `unix:<path>`. */
export function endpointOf(address: string): Http1Endpoint {
  if (address.startsWith('unix:')) return { path: address.slice('unix:'.length).replace(/^\/\/(?=\/)/, '') };
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host, port: Number(address.slice(colon + 1)) };
}
