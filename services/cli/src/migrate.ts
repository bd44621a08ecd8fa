import { loadConfig } from '@cairn/config';
import { createLogger } from '@cairn/observability';
import { closeAllPGlite, createDataSource, runMigrations } from '@cairn/persistence';
import { gatewayPersistence } from '../../gateway/src/bootstrap';
import { registryPersistence } from '../../registry/src/bootstrap';
import { trackingPersistence } from '../../tracking/src/bootstrap';

/** Applies every service's pending migrations and exits (Helm hook Job, compose one-shot). */
export async function migrateAll(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, { service: 'all' });
  const logger = createLogger('migrate', config.logLevel);
  for (const options of [trackingPersistence, registryPersistence, gatewayPersistence]) {
    const dataSource = await createDataSource(config.database, { ...options, applicationName: 'cairn-migrate' });
    try {
      const applied = await runMigrations(dataSource, options.schema, config.database);
      logger.info({ schema: options.schema, applied }, applied.length > 0 ? 'migrations applied' : 'schema up to date');
    } finally {
      await dataSource.destroy();
    }
  }
  await closeAllPGlite();
}
