import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { CairnConfig, loadConfig } from '@cairn/config';
import { inProcessBus } from '@cairn/events';
import { createLogger } from '@cairn/observability';
import { closeAllPGlite } from '@cairn/persistence';
import { closeInOrder } from '@cairn/runtime';
import { bootstrapArtifacts } from '../../artifacts/src/bootstrap';
import { bootstrapGateway } from '../../gateway/src/bootstrap';
import { bootstrapRegistry } from '../../registry/src/bootstrap';
import { bootstrapServing } from '../../serving/src/bootstrap';
import { bootstrapTracking } from '../../tracking/src/bootstrap';

export interface RunningServer {
  config: CairnConfig;
  stop(): Promise<void>;
}

/**
 * All five services in this one process. gRPC between them runs over unix
 * sockets in a private temp folder; the database is PGlite and events use the
 * in-process bus unless distributed-mode settings are given.
 */
export async function startAllInOne(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const socketDir = path.join(tmpdir(), `cairn-${process.pid}-${Date.now().toString(36)}`);
  const sock = (name: string): string => `unix:${path.join(socketDir, `${name}.sock`)}`;
  const config = loadConfig(env, {
    service: 'all',
    grpcOverride: {
      tracking: sock('tracking'),
      artifacts: sock('artifacts'),
      registry: sock('registry'),
      serving: sock('serving'),
    },
  });
  const logger = createLogger('cairn', config.logLevel);
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  mkdirSync(config.dataDir, { recursive: true });

  const services: INestApplicationContext[] = [];
  const removeSockets = (): void => rmSync(socketDir, { recursive: true, force: true });
  try {
    services.push(await bootstrapTracking(config, logger.child({ service: 'tracking' })));
    services.push(await bootstrapArtifacts(config, logger.child({ service: 'artifacts' })));
    services.push(await bootstrapRegistry(config, logger.child({ service: 'registry' })));
    services.push(await bootstrapServing(config, logger.child({ service: 'serving' })));
    const gateway = await bootstrapGateway(config, logger.child({ service: 'gateway' }));
    services.unshift(gateway);
  } catch (err) {
    await closeInOrder(services, config.shutdownTimeoutMs, logger);
    await closeAllPGlite();
    removeSockets();
    throw err;
  }

  const where = `http://${config.http.host}:${config.http.port}`;
  const engines = [
    config.database.kind === 'pglite' ? `PGlite in ${config.database.dataDir}` : 'PostgreSQL',
    config.events.kind === 'in-process' ? 'in-process events' : 'Kafka events',
    config.artifacts.kind === 'filesystem' ? `artifacts in ${config.artifacts.root}` : `S3 ${config.artifacts.endpoint}`,
  ].join(', ');
  logger.info({ url: where, dataDir: config.dataDir }, 'cairn ready');
  process.stdout.write(`Cairn is listening on ${where} (${engines})\n`);
  process.stdout.write(`Point the mlflow client at it: MLFLOW_TRACKING_URI=${where}\n`);
  if (!config.security.auth) {
    process.stdout.write(
      'WARNING: authentication is OFF (CAIRN_AUTH=off): anyone who can reach this port can read, change and delete everything.\n',
    );
  }

  return {
    config,
    stop: async () => {
      logger.info('shutting down: draining requests');
      // Gateway first (drains HTTP), then the services (their relays flush the outbox).
      await closeInOrder(services, config.shutdownTimeoutMs, logger);
      if (config.events.kind === 'in-process') await inProcessBus(logger).close();
      await closeAllPGlite();
      removeSockets();
      logger.info('stopped');
    },
  };
}
