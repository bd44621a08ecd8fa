#!/usr/bin/env node
// Container health probe for docker compose (Kubernetes uses its native
// httpGet / grpc probes instead).
//   node deploy/docker/healthcheck.cjs http <url>            2xx -> healthy
//   node deploy/docker/healthcheck.cjs grpc <host:port> [service]
//        grpc.health.v1.Health/Check answers SERVING -> healthy
// Exit 0 when healthy, 1 otherwise. Needs no protobuf library: the two
// health messages are encoded by hand.
'use strict';

const TIMEOUT_MS = Number(process.env.HEALTHCHECK_TIMEOUT_MS || 3000);

function fail(message) {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

function checkHttp(url) {
  fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    .then((res) => (res.ok ? process.exit(0) : fail(`${url} answered ${res.status}`)))
    .catch((err) => fail(`${url}: ${err.message}`));
}

// HealthCheckRequest { string service = 1; }
function encodeRequest(service) {
  const bytes = Buffer.from(service || '', 'utf8');
  if (bytes.length === 0) return Buffer.alloc(0);
  if (bytes.length > 127) throw new Error('service name too long');
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

function readVarint(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

// HealthCheckResponse { ServingStatus status = 1; }  SERVING = 1
function decodeResponse(buf) {
  let status = 0;
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      if (field === 1) status = v;
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      pos += len;
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return { status };
}

function checkGrpc(target, service) {
  const grpc = require('@grpc/grpc-js');
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  client.makeUnaryRequest(
    '/grpc.health.v1.Health/Check',
    encodeRequest,
    decodeResponse,
    service || '',
    new grpc.Metadata(),
    { deadline: Date.now() + TIMEOUT_MS },
    (err, res) => {
      client.close();
      if (err) return fail(`${target}: ${err.message}`);
      if (res.status !== 1) return fail(`${target}: status ${res.status}, not SERVING`);
      process.exit(0);
    },
  );
}

const [kind, target, service] = process.argv.slice(2);
if (kind === 'http' && target) checkHttp(target);
else if (kind === 'grpc' && target) checkGrpc(target, service);
else fail('usage: healthcheck.cjs http <url> | grpc <host:port> [service]');
