import 'reflect-metadata';
import { Command, Option } from 'commander';
import { MLFLOW_COMPAT_VERSION } from '@cairn/contracts';
import { runProcess } from '@cairn/runtime';
import { startAllInOne } from './embedded';
import { migrateAll } from './migrate';

/** Command-line options and the environment variables they set (flags win over the environment). */
const SETTINGS: [flag: string, env: string, help: string][] = [
  ['--host <host>', 'CAIRN_HOST', 'address the HTTP server binds to (default 127.0.0.1)'],
  ['--port <port>', 'CAIRN_PORT', 'HTTP port (default 5000, like MLflow)'],
  ['--data-dir <dir>', 'CAIRN_DATA_DIR', 'embedded data: PGlite database and artifacts (default ./cairn-data)'],
  ['--log-level <level>', 'CAIRN_LOG_LEVEL', 'fatal|error|warn|info|debug|trace|silent (default info)'],
  ['--database-url <url>', 'CAIRN_DATABASE_URL', 'PostgreSQL instead of PGlite, e.g. postgres://user:pw@host:5432/cairn'],
  ['--kafka-brokers <list>', 'CAIRN_KAFKA_BROKERS', 'Kafka instead of the in-process bus: host:port[,host:port]'],
  ['--redis-url <url>', 'CAIRN_REDIS_URL', 'Redis for caches and rate limits: redis://host:6379'],
  ['--s3-endpoint <url>', 'CAIRN_S3_ENDPOINT', 'S3 API endpoint instead of the filesystem, e.g. http://127.0.0.1:9000'],
  ['--s3-access-key <key>', 'CAIRN_S3_ACCESS_KEY', 'S3 access key'],
  ['--s3-secret-key <key>', 'CAIRN_S3_SECRET_KEY', 'S3 secret key (prefer the environment variable)'],
  ['--s3-bucket <name>', 'CAIRN_S3_BUCKET', 'S3 bucket (default cairn-artifacts)'],
  ['--s3-region <region>', 'CAIRN_S3_REGION', 'S3 region (default us-east-1)'],
  ['--auth <on|off>', 'CAIRN_AUTH', 'authentication and permissions (default off embedded, on distributed)'],
  ['--admin-username <name>', 'CAIRN_ADMIN_USERNAME', 'the first admin user (created or updated at start-up)'],
  ['--admin-password-file <file>', 'CAIRN_ADMIN_PASSWORD_FILE', "a file holding the admin's password (or CAIRN_ADMIN_PASSWORD)"],
  ['--default-permission <level>', 'CAIRN_DEFAULT_PERMISSION', 'READ|EDIT|MANAGE|NO_PERMISSIONS where nothing is granted (default READ)'],
  ['--rate-limit-per-minute <n>', 'CAIRN_RATE_LIMIT_PER_MINUTE', 'requests per minute per user or token (default 0: no limit)'],
  ['--oidc-issuer <url>', 'CAIRN_OIDC_ISSUER', 'accept SSO bearer JWTs from this issuer (with --oidc-audience, --oidc-jwks-url)'],
  ['--oidc-audience <aud>', 'CAIRN_OIDC_AUDIENCE', 'the audience SSO tokens must carry'],
  ['--oidc-jwks-url <url>', 'CAIRN_OIDC_JWKS_URL', "the issuer's JWKS (signing keys)"],
  ['--webhook-allow-private <list>', 'CAIRN_WEBHOOK_ALLOW_PRIVATE', 'private webhook targets allowed anyway: CIDRs, addresses, host names'],
];

function optionKey(flag: string): string {
  const long = (flag.split(' ')[0] ?? '').replace(/^--/, '');
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function envWithFlags(flags: Record<string, unknown>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [flag, name] of SETTINGS) {
    const value = flags[optionKey(flag)];
    if (typeof value === 'string') env[name] = value;
  }
  return env;
}

function withSettings(command: Command): Command {
  for (const [flag, env, help] of SETTINGS) command.addOption(new Option(flag, `${help} [env: ${env}]`));
  return command;
}

const program = new Command('cairn')
  .description(
    `Cairn: an ML lifecycle platform that speaks MLflow's REST API (as MLflow ${MLFLOW_COMPAT_VERSION}).\n` +
      'Embedded by default: one process, PGlite, the filesystem and an in-process event bus.\n' +
      'Give the database, Kafka and S3 settings to run the same process against the real stack.',
  )
  .version(MLFLOW_COMPAT_VERSION, '-v, --version', 'the MLflow API version served');

withSettings(
  program
    .command('server')
    .description('start all five services in one process; Ctrl-C stops it cleanly (drains requests, flushes events)'),
).action((flags: Record<string, unknown>) => {
  runProcess(() => startAllInOne(envWithFlags(flags)));
});

withSettings(program.command('migrate').description("apply every service's pending database migrations and exit")).action(
  (flags: Record<string, unknown>) => {
    migrateAll(envWithFlags(flags)).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`cairn migrate: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  },
);

program.parse();
