import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { loadConfig } from '@cairn/config';
import { closeAllPGlite } from '@cairn/persistence';
import { freePort } from '@cairn/testing';
import { bootstrapGateway } from '../services/gateway/src/bootstrap';
import { registeredRoutes } from '../services/gateway/src/security/install';
import { SecurityGate } from '../services/gateway/src/security/security.gate';
import { ABSOLUTE_ROUTE_RULES, ARTIFACT_ROUTE_RULES, MLFLOW_ROUTE_RULES } from '../services/gateway/src/security/route-rules';

/**
 * Every route the gateway registers has a declared security rule
 * (services/gateway/src/security/route-rules.ts), and every declared rule
 * matches a route. When this fails after you added or renamed a route, add
 * or fix its line in route-rules.ts.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'cairn-routes-'));
let app: NestFastifyApplication;

beforeAll(async () => {
  const config = loadConfig(
    { CAIRN_DATA_DIR: dataDir, CAIRN_PORT: String(await freePort()), CAIRN_AUTH: 'on', CAIRN_LOG_LEVEL: 'silent' },
    { service: 'gateway' },
  );
  app = await bootstrapGateway(config, pino({ level: 'silent' }));
});

afterAll(async () => {
  await app?.close();
  await closeAllPGlite();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('route security rules', () => {
  it('declares a rule for every registered route', () => {
    const gate = app.get(SecurityGate);
    const routes = registeredRoutes(app);
    expect(routes.length).toBeGreaterThan(100);
    const missing = routes.filter((r) => gate.ruleFor(r.method, r.url) === undefined).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
  });

  it('has no rule for a route that does not exist', () => {
    const registered = new Set(registeredRoutes(app).map((r) => `${r.method} ${r.url}`));
    const declared = [
      ...MLFLOW_ROUTE_RULES.flatMap(([m, p]) => [`${m} /api/2.0/mlflow/${p}`, `${m} /ajax-api/2.0/mlflow/${p}`]),
      ...ARTIFACT_ROUTE_RULES.flatMap(([m, p]) => [`${m} /api/2.0/mlflow-artifacts/${p}`, `${m} /ajax-api/2.0/mlflow-artifacts/${p}`]),
      ...ABSOLUTE_ROUTE_RULES.map(([m, p]) => `${m} ${p}`),
    ];
    expect(declared.filter((d) => !registered.has(d))).toEqual([]);
  });
});
