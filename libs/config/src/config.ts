import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
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
  CAIRN_METRIC_WRITE_CONCURRENCY: z.coerce.number().int().min(0).max(500).default(2),
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
  CAIRN_OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  CAIRN_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Security (gateway): authentication, permissions, rate limits, webhooks.
  CAIRN_AUTH: z.enum(['on', 'off']).optional(),
  CAIRN_ADMIN_USERNAME: nonEmpty.max(256).optional(),
  CAIRN_ADMIN_PASSWORD: z.string().min(1).optional(),
  CAIRN_ADMIN_PASSWORD_FILE: nonEmpty.optional(),
  CAIRN_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  CAIRN_OIDC_ISSUER: z.string().trim().url().optional(),
  CAIRN_OIDC_AUDIENCE: nonEmpty.optional(),
  CAIRN_OIDC_JWKS_URL: z.string().trim().url().optional(),
  CAIRN_OIDC_USERNAME_CLAIM: nonEmpty.default('preferred_username'),
  CAIRN_OIDC_GROUPS_CLAIM: nonEmpty.default('groups'),
  CAIRN_DEFAULT_PERMISSION: z.enum(['READ', 'EDIT', 'MANAGE', 'NO_PERMISSIONS']).default('READ'),
  CAIRN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000_000).default(0),
  CAIRN_WEBHOOK_ALLOW_PRIVATE: z.string().trim().optional(),
  CAIRN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  CAIRN_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(2000),
  CAIRN_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

export type DatabaseConfig = { kind: 'postgres'; url: string; poolSize: number } | { kind: 'pglite'; dataDir: string };
export type EventsConfig = { kind: 'kafka'; brokers: string[]; clientId: string } | { kind: 'in-process' };
export type ArtifactStoreConfig =
  | { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string }
  | { kind: 'filesystem'; root: string };

export type DefaultPermission = 'READ' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS';

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly usernameClaim: string;
  readonly groupsClaim: string;
}

/** The gateway's security settings. */
export interface SecurityConfig {
  /** Authentication and authorization enforced (CAIRN_AUTH; default off embedded, on distributed). */
  readonly auth: boolean;
  /** The first admin, created or updated at start-up. */
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  /** Key material for encrypting webhook secrets at rest. */
  readonly secretKey: string | undefined;
  readonly defaultPermission: DefaultPermission;
  readonly oidc: OidcConfig | undefined;
  /** Requests per minute per user or token; 0 = no limit. */
  readonly rateLimitPerMinute: number;
}

export interface WebhooksConfig {
  /** Private/loopback targets allowed anyway: CIDRs, addresses or host names. */
  readonly allowPrivate: readonly string[];
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
}

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
  /**
   * How many metric writes (log-batch, log-metric) one tracking process runs
   * against the database at once; more wait their turn, first come first
   * served. 0 = no limit. CAIRN_METRIC_WRITE_CONCURRENCY, default 2.
   */
  readonly metricWriteConcurrency: number;
  readonly security: SecurityConfig;
  readonly webhooks: WebhooksConfig;
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

  const security = securityConfig(e, options.service);
  const webhooks: WebhooksConfig = {
    allowPrivate: allowList(e.CAIRN_WEBHOOK_ALLOW_PRIVATE),
    maxAttempts: e.CAIRN_WEBHOOK_MAX_ATTEMPTS,
    backoffMs: e.CAIRN_WEBHOOK_BACKOFF_MS,
    timeoutMs: e.CAIRN_WEBHOOK_TIMEOUT_MS,
  };

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
    metricWriteConcurrency: e.CAIRN_METRIC_WRITE_CONCURRENCY,
    security,
    webhooks,
  };
  return deepFreeze(config);
}

type Env = z.infer<typeof envSchema>;

/**
 * Authentication is off by default when embedded (one user on a laptop; the
 * gateway says so loudly at start-up) and on by default when distributed,
 * where a gateway (or all-in-one process) with auth on refuses to start
 * without a first admin and a secret key. There is never a default password.
 */
function securityConfig(e: Env, service: ServiceName | 'all'): SecurityConfig {
  const problems: string[] = [];
  const auth = (e.CAIRN_AUTH ?? (e.CAIRN_MODE === 'distributed' ? 'on' : 'off')) === 'on';
  if (e.CAIRN_ADMIN_PASSWORD !== undefined && e.CAIRN_ADMIN_PASSWORD_FILE !== undefined) {
    problems.push('CAIRN_ADMIN_PASSWORD and CAIRN_ADMIN_PASSWORD_FILE: set one, not both');
  }
  let password = e.CAIRN_ADMIN_PASSWORD;
  if (e.CAIRN_ADMIN_PASSWORD_FILE !== undefined) {
    try {
      password = readFileSync(e.CAIRN_ADMIN_PASSWORD_FILE, 'utf8').replace(/\r?\n$/, '');
      if (password === '') problems.push(`CAIRN_ADMIN_PASSWORD_FILE: ${e.CAIRN_ADMIN_PASSWORD_FILE} is empty`);
    } catch (err) {
      problems.push(`CAIRN_ADMIN_PASSWORD_FILE: cannot read ${e.CAIRN_ADMIN_PASSWORD_FILE} (${(err as Error).message})`);
    }
  }
  if ((e.CAIRN_ADMIN_USERNAME === undefined) !== (password === undefined)) {
    problems.push('CAIRN_ADMIN_USERNAME and CAIRN_ADMIN_PASSWORD (or CAIRN_ADMIN_PASSWORD_FILE): set both, or neither');
  }
  const oidcParts = [e.CAIRN_OIDC_ISSUER, e.CAIRN_OIDC_AUDIENCE, e.CAIRN_OIDC_JWKS_URL];
  if (oidcParts.some((v) => v !== undefined) && oidcParts.some((v) => v === undefined)) {
    problems.push('CAIRN_OIDC_ISSUER, CAIRN_OIDC_AUDIENCE and CAIRN_OIDC_JWKS_URL: set all three to accept OIDC tokens, or none');
  }
  const servesHttp = service === 'gateway' || service === 'all';
  if (e.CAIRN_MODE === 'distributed' && auth && servesHttp) {
    if (e.CAIRN_ADMIN_USERNAME === undefined || password === undefined) {
      problems.push(
        'CAIRN_ADMIN_USERNAME and CAIRN_ADMIN_PASSWORD (or CAIRN_ADMIN_PASSWORD_FILE): required in distributed mode while authentication is on (CAIRN_AUTH=on is the default there)',
      );
    }
    if (e.CAIRN_SECRET_KEY === undefined) {
      problems.push('CAIRN_SECRET_KEY: required in distributed mode while authentication is on (it encrypts webhook secrets)');
    }
  }
  try {
    allowList(e.CAIRN_WEBHOOK_ALLOW_PRIVATE);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    auth,
    admin: e.CAIRN_ADMIN_USERNAME !== undefined && password !== undefined ? { username: e.CAIRN_ADMIN_USERNAME, password } : undefined,
    secretKey: e.CAIRN_SECRET_KEY,
    defaultPermission: e.CAIRN_DEFAULT_PERMISSION,
    oidc:
      e.CAIRN_OIDC_ISSUER !== undefined && e.CAIRN_OIDC_AUDIENCE !== undefined && e.CAIRN_OIDC_JWKS_URL !== undefined
        ? {
            issuer: e.CAIRN_OIDC_ISSUER,
            audience: e.CAIRN_OIDC_AUDIENCE,
            jwksUrl: e.CAIRN_OIDC_JWKS_URL,
            usernameClaim: e.CAIRN_OIDC_USERNAME_CLAIM,
            groupsClaim: e.CAIRN_OIDC_GROUPS_CLAIM,
          }
        : undefined,
    rateLimitPerMinute: e.CAIRN_RATE_LIMIT_PER_MINUTE,
  };
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})?)*\.?$/;

/** CAIRN_WEBHOOK_ALLOW_PRIVATE: comma-separated CIDRs (10.0.0.0/8, fd00::/8), addresses or host names. */
function allowList(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    if (bits !== undefined) {
      const family = isIP(address ?? '');
      const n = Number(bits);
      if (extra !== undefined || family === 0 || !/^\d+$/.test(bits) || n > (family === 4 ? 32 : 128)) {
        throw new Error(`CAIRN_WEBHOOK_ALLOW_PRIVATE: '${entry}' is not a valid CIDR`);
      }
    } else if (isIP(entry) === 0 && !HOST_NAME.test(entry)) {
      throw new Error(`CAIRN_WEBHOOK_ALLOW_PRIVATE: '${entry}' is neither an address, a CIDR nor a host name`);
    }
  }
  return entries;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
