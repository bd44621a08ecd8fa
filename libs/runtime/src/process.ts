import { setFlagsFromString } from 'node:v8';
import { INestApplicationContext } from '@nestjs/common';
import { CairnConfig, ConfigError, loadConfig, ServiceName } from '@cairn/config';
import { createLogger, Logger } from '@cairn/observability';
import { closeAllPGlite } from '@cairn/persistence';
import { closeInOrder } from './service-app';

/** How much V8 lets the old generation grow past its live size after a full collection, in percent. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * A fixed heap growing factor of 2 for a Cairn process, unless its command
 * line sets one. V8's own factor for a heap of a service's size (30-50 MB
 * live) left less free room than one new space after each full collection,
 * so incremental marking started again at once: after a minute idle, the
 * tracking service ran a full collection every ~10 search pages and p95 went
 * from ~22 to ~37 ms (bench/README.md, session 8). The price is a heap limit
 * of about twice the live size. Set before start-up allocates much; V8 reads
 * the flag whenever it computes a limit.
 */
export function setHeapGrowing(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * Runs a process's main: a configuration problem is printed plainly (it names
 * the variable) and exits 2; SIGINT/SIGTERM call `stop` once, then exit.
 */
export function runProcess(start: () => Promise<{ stop: () => Promise<void> }>): void {
  setHeapGrowing();
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
