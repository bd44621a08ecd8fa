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
});
