import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to embedded mode on port 5000 with PGlite, the in-process bus and the filesystem', () => {
    const config = loadConfig({}, { service: 'all' });
    expect(config.mode).toBe('embedded');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(config.database.kind).toBe('pglite');
    expect(config.events.kind).toBe('in-process');
    expect(config.artifacts.kind).toBe('filesystem');
    expect(Object.isFrozen(config.grpcUrls)).toBe(true);
  });

  it('names the bad variable and its value', () => {
    expect(() => loadConfig({ CAIRN_PORT: 'abc' }, { service: 'gateway' })).toThrow(/CAIRN_PORT: .*\(got "abc"\)/);
    expect(() => loadConfig({ CAIRN_DATABASE_URL: 'mysql://x' }, { service: 'tracking' })).toThrow(/CAIRN_DATABASE_URL/);
    expect(() => loadConfig({ CAIRN_KAFKA_BROKERS: 'nohostport' }, { service: 'tracking' })).toThrow(ConfigError);
  });

  it('requires each service’s dependencies in distributed mode', () => {
    expect(() => loadConfig({ CAIRN_MODE: 'distributed' }, { service: 'tracking' })).toThrow(
      /CAIRN_DATABASE_URL: required in distributed mode[\s\S]*CAIRN_KAFKA_BROKERS: required/,
    );
    expect(() => loadConfig({ CAIRN_MODE: 'distributed' }, { service: 'artifacts' })).toThrow(/CAIRN_S3_ENDPOINT/);
  });

  it('admits 2 metric writes at once by default; 0 means no limit, a negative count is refused', () => {
    expect(loadConfig({}, { service: 'tracking' }).metricWriteConcurrency).toBe(2);
    expect(loadConfig({ CAIRN_METRIC_WRITE_CONCURRENCY: '0' }, { service: 'tracking' }).metricWriteConcurrency).toBe(0);
    expect(() => loadConfig({ CAIRN_METRIC_WRITE_CONCURRENCY: '-1' }, { service: 'tracking' })).toThrow(/CAIRN_METRIC_WRITE_CONCURRENCY/);
  });

  it('refuses half an S3 configuration', () => {
    expect(() => loadConfig({ CAIRN_S3_ENDPOINT: 'http://127.0.0.1:9000' }, { service: 'artifacts' })).toThrow(
      /set all three/,
    );
  });

  it('uses CAIRN_GRPC_LISTEN only for the service it runs, and the URLs for clients', () => {
    const config = loadConfig(
      { CAIRN_GRPC_LISTEN: '0.0.0.0:6000', CAIRN_TRACKING_GRPC_URL: 'tracking:50051' },
      { service: 'tracking' },
    );
    expect(config.grpcListen.tracking).toBe('0.0.0.0:6000');
    expect(config.grpcListen.registry).toBe('0.0.0.0:50053');
    expect(config.grpcUrls.tracking).toBe('tracking:50051');
  });

  describe('security', () => {
    const distributed = {
      CAIRN_MODE: 'distributed',
      CAIRN_DATABASE_URL: 'postgres://db/cairn',
      CAIRN_KAFKA_BROKERS: 'kafka:9092',
    };

    it('is off by default when embedded, on by default when distributed, and CAIRN_AUTH overrides', () => {
      expect(loadConfig({}, { service: 'all' }).security.auth).toBe(false);
      expect(loadConfig({ CAIRN_AUTH: 'on' }, { service: 'all' }).security).toMatchObject({ auth: true, defaultPermission: 'READ' });
      expect(loadConfig({ ...distributed, CAIRN_AUTH: 'off' }, { service: 'gateway' }).security.auth).toBe(false);
      const on = loadConfig(
        { ...distributed, CAIRN_ADMIN_USERNAME: 'root', CAIRN_ADMIN_PASSWORD: 'pw', CAIRN_SECRET_KEY: 'k'.repeat(32) },
        { service: 'gateway' },
      );
      expect(on.security).toMatchObject({ auth: true, admin: { username: 'root', password: 'pw' } });
    });

    it('refuses to start a distributed gateway with auth on and no admin or secret key; never a default password', () => {
      expect(() => loadConfig(distributed, { service: 'gateway' })).toThrow(/CAIRN_ADMIN_USERNAME[\s\S]*CAIRN_SECRET_KEY: required/);
      expect(() => loadConfig(distributed, { service: 'tracking' })).not.toThrow();
      expect(loadConfig({ CAIRN_AUTH: 'on' }, { service: 'all' }).security.admin).toBeUndefined();
      expect(() => loadConfig({ CAIRN_ADMIN_USERNAME: 'root' }, { service: 'all' })).toThrow(/set both, or neither/);
    });

    it('reads the admin password from a file, without its trailing newline', () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'pw');
      writeFileSync(file, 's3cret\n');
      const config = loadConfig({ CAIRN_ADMIN_USERNAME: 'root', CAIRN_ADMIN_PASSWORD_FILE: file }, { service: 'all' });
      expect(config.security.admin).toEqual({ username: 'root', password: 's3cret' });
      expect(() => loadConfig({ CAIRN_ADMIN_USERNAME: 'root', CAIRN_ADMIN_PASSWORD_FILE: `${file}.missing` }, { service: 'all' })).toThrow(
        /CAIRN_ADMIN_PASSWORD_FILE: cannot read/,
      );
    });

    it('takes OIDC settings as a whole, and checks the webhook allow-list', () => {
      expect(() => loadConfig({ CAIRN_OIDC_ISSUER: 'https://idp' }, { service: 'all' })).toThrow(/set all three/);
      const config = loadConfig(
        {
          CAIRN_OIDC_ISSUER: 'https://idp.example',
          CAIRN_OIDC_AUDIENCE: 'cairn',
          CAIRN_OIDC_JWKS_URL: 'https://idp.example/jwks',
          CAIRN_WEBHOOK_ALLOW_PRIVATE: '127.0.0.1, 10.0.0.0/8,fd00::/8,jenkins.internal',
        },
        { service: 'all' },
      );
      expect(config.security.oidc).toMatchObject({ issuer: 'https://idp.example', usernameClaim: 'preferred_username' });
      expect(config.webhooks.allowPrivate).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'jenkins.internal']);
      expect(() => loadConfig({ CAIRN_WEBHOOK_ALLOW_PRIVATE: '10.0.0.0/33' }, { service: 'all' })).toThrow(/not a valid CIDR/);
      expect(() => loadConfig({ CAIRN_DEFAULT_PERMISSION: 'ALL' }, { service: 'all' })).toThrow(/CAIRN_DEFAULT_PERMISSION/);
    });
  });
});
