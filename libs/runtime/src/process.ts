import { INestApplicationContext } from '@nestjs/common';
import { CairnConfig, ConfigError, loadConfig, ServiceName } from '@cairn/config';
import { createLogger, Logger } from '@cairn/observability';
import { closeAllPGlite } from '@cairn/persistence';
import { closeInOrder } from './service-app';

/**
 * Runs a process's main: a configuration problem is printed plainly (it names
 * the variable) and exits 2; SIGINT/SIGTERM call `stop` once, then exit.
 */
export function runProcess(start: () => Promise<{ stop: () => Promise<void> }>): void {
  start().then(
    ({ stop }) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) return;
        stopping = true;
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`shutdown after ${signal} failed: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`cairn: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`cairn: start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * A service's main.ts: validated config, a JSON logger, the service started
 * alone, and on SIGINT/SIGTERM a drained, ordered shutdown.
 */
export function runStandalone(
  service: ServiceName,
  bootstrap: (config: CairnConfig, logger: Logger) => Promise<INestApplicationContext>,
): void {
  runProcess(async () => {
    const config = loadConfig(process.env, { service });
    const logger = createLogger(service, config.logLevel);
    const app = await bootstrap(config, logger);
    return {
      stop: async () => {
        await closeInOrder([app], config.shutdownTimeoutMs, logger);
        await closeAllPGlite();
      },
    };
  });
}
