import * as path from 'node:path';
import { z } from 'zod';

export const SERVICE_NAMES = ['gateway', 'tracking', 'artifacts', 'registry', 'serving'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default gRPC ports, one per service (loopback in development, cluster network in Kubernetes). */
export const DEFAULT_GRPC_PORTS: Record<Exclude<ServiceName, 'gateway'>, number> = {
  tracking: 50051,
  artifacts: 50052,
  registry: 50053,
  serving: 50054,
};

const port = z.coerce.number().int().min(1).max(65535);
const nonEmpty = z.string().trim().min(1);
const hostPort = z
  .string()
  .trim()
  .regex(/^(unix:.+|[^\s:]+:\d{1,5})$/, 'expected host:port or unix:<path>');

const envSchema = z.object({
  CAIRN_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
  CAIRN_HOST: nonEmpty.default('127.0.0.1'),
  CAIRN_PORT: port.default(5000),
  CAIRN_DATA_DIR: nonEmpty.default('./cairn-data'),
  CAIRN_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CAIRN_DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  CAIRN_DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  CAIRN_KAFKA_BROKERS: z
    .string()
    .trim()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'expected comma-separated host:port')
    .optional(),
  CAIRN_KAFKA_CLIENT_ID: nonEmpty.default('cairn'),
  CAIRN_REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  CAIRN_S3_ENDPOINT: z.string().trim().url().optional(),
  CAIRN_S3_ACCESS_KEY: nonEmpty.optional(),
  CAIRN_S3_SECRET_KEY: nonEmpty.optional(),
  CAIRN_S3_BUCKET: nonEmpty.default('cairn-artifacts'),
  CAIRN_S3_REGION: nonEmpty.default('us-east-1'),
  CAIRN_GRPC_LISTEN: hostPort.optional(),
  CAIRN_TRACKING_GRPC_URL: hostPort.optional(),
  CAIRN_ARTIFACTS_GRPC_URL: hostPort.optional(),
  CAIRN_REGISTRY_GRPC_URL: hostPort.optional(),
  CAIRN_SERVING_GRPC_URL: hostPort.optional(),
  CAIRN_OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  CAIRN_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});

export type DatabaseConfig = { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
export type EventsConfig = { kind: 'kafka'; brokers: string[]; clientId: string } | { kind: 'in-process' };
export type ArtifactStoreConfig =
  | { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string }
  | { kind: 'filesystem'; root: string };

export interface CairnConfig {
  readonly mode: 'embedded' | 'distributed';
  readonly service: ServiceName | 'all';
  readonly http: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly logLevel: string;
  readonly database: DatabaseConfig;
  readonly events: EventsConfig;
  readonly artifacts: ArtifactStoreConfig;
  readonly redisUrl: string | undefined;
  /** Where this process's gRPC server listens (per service). */
  readonly grpcListen: Record<Exclude<ServiceName, 'gateway'>, string>;
  /** Where clients reach each gRPC service. */
  readonly grpcUrls: Record<Exclude<ServiceName, 'gateway'>, string>;
  readonly outboxPollMs: number;
  readonly shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** The service this process runs, or 'all' for the embedded all-in-one process. */
  service: ServiceName | 'all';
  /** Overrides for unix-socket gRPC addresses chosen by the embedded launcher. */
  grpcOverride?: Partial<Record<Exclude<ServiceName, 'gateway'>, string>>;
}

/** What each service needs in distributed mode; a missing one stops start-up. */
const DISTRIBUTED_NEEDS: Record<ServiceName | 'all', (keyof z.infer<typeof envSchema>)[]> = {
  gateway: ['CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS'],
  tracking: ['CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS'],
  registry: ['CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS'],
  serving: ['CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS'],
  artifacts: ['CAIRN_S3_ENDPOINT', 'CAIRN_S3_ACCESS_KEY', 'CAIRN_S3_SECRET_KEY'],
  all: ['CAIRN_DATABASE_URL', 'CAIRN_KAFKA_BROKERS'],
};

/**
 * Reads and validates the environment once, into a frozen, typed object.
 * Any problem names the variable and stops start-up.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions): CairnConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const raw = env[name];
        return `${name}: ${issue.message}${raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.CAIRN_MODE === 'distributed') {
    const missing = DISTRIBUTED_NEEDS[options.service].filter((name) => e[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(missing.map((name) => `${name}: required in distributed mode (CAIRN_MODE=distributed)`));
    }
  }
  const s3Partial = [e.CAIRN_S3_ENDPOINT, e.CAIRN_S3_ACCESS_KEY, e.CAIRN_S3_SECRET_KEY];
  if (s3Partial.some((v) => v !== undefined) && s3Partial.some((v) => v === undefined)) {
    throw new ConfigError([
      'CAIRN_S3_ENDPOINT, CAIRN_S3_ACCESS_KEY and CAIRN_S3_SECRET_KEY: set all three to use S3, or none for the filesystem store',
    ]);
  }

  const dataDir = path.resolve(e.CAIRN_DATA_DIR);
  const grpcUrls = {
    tracking: e.CAIRN_TRACKING_GRPC_URL ?? `127.0.0.1:${DEFAULT_GRPC_PORTS.tracking}`,
    artifacts: e.CAIRN_ARTIFACTS_GRPC_URL ?? `127.0.0.1:${DEFAULT_GRPC_PORTS.artifacts}`,
    registry: e.CAIRN_REGISTRY_GRPC_URL ?? `127.0.0.1:${DEFAULT_GRPC_PORTS.registry}`,
    serving: e.CAIRN_SERVING_GRPC_URL ?? `127.0.0.1:${DEFAULT_GRPC_PORTS.serving}`,
    ...options.grpcOverride,
  };
  const listenFor = (name: Exclude<ServiceName, 'gateway'>): string =>
    options.grpcOverride?.[name] ??
    (options.service === name && e.CAIRN_GRPC_LISTEN !== undefined
      ? e.CAIRN_GRPC_LISTEN
      : `0.0.0.0:${DEFAULT_GRPC_PORTS[name]}`);

  const config: CairnConfig = {
    mode: e.CAIRN_MODE,
    service: options.service,
    http: { host: e.CAIRN_HOST, port: e.CAIRN_PORT },
    dataDir,
    logLevel: e.CAIRN_LOG_LEVEL,
    database:
      e.CAIRN_DATABASE_URL !== undefined
        ? { kind: 'postgres', url: e.CAIRN_DATABASE_URL, poolSize: e.CAIRN_DATABASE_POOL_SIZE }
        : { kind: 'pglite', dataDir: path.join(dataDir, 'pgdata') },
    events:
      e.CAIRN_KAFKA_BROKERS !== undefined
        ? { kind: 'kafka', brokers: e.CAIRN_KAFKA_BROKERS.split(','), clientId: e.CAIRN_KAFKA_CLIENT_ID }
        : { kind: 'in-process' },
    artifacts:
      e.CAIRN_S3_ENDPOINT !== undefined && e.CAIRN_S3_ACCESS_KEY !== undefined && e.CAIRN_S3_SECRET_KEY !== undefined
        ? {
            kind: 's3',
            endpoint: e.CAIRN_S3_ENDPOINT,
            accessKey: e.CAIRN_S3_ACCESS_KEY,
            secretKey: e.CAIRN_S3_SECRET_KEY,
            bucket: e.CAIRN_S3_BUCKET,
            region: e.CAIRN_S3_REGION,
          }
        : { kind: 'filesystem', root: path.join(dataDir, 'artifacts') },
    redisUrl: e.CAIRN_REDIS_URL,
    grpcListen: {
      tracking: listenFor('tracking'),
      artifacts: listenFor('artifacts'),
      registry: listenFor('registry'),
      serving: listenFor('serving'),
    },
    grpcUrls,
    outboxPollMs: e.CAIRN_OUTBOX_POLL_MS,
    shutdownTimeoutMs: e.CAIRN_SHUTDOWN_TIMEOUT_MS,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
