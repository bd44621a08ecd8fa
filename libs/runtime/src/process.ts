import { setFlagsFromString } from 'node:v8';
import { INestApplicationContext } from '@nestjs/common';
import { CairnConfig, ConfigError, loadConfig, ServiceName } from '@cairn/config';
import { createLogger, Logger } from '@cairn/observability';
import { closeAllPGlite } from '@cairn/persistence';
import { closeInOrder } from './service-app';

/**
 * V8 settings of every Cairn process (each unless its command line sets it):
 *
 * - `--heap-growing-percent=300`: after a full collection the old generation
 *   may grow to 4x its live size before the next. V8's own factor for a heap
 *   of a service's size (30-50 MB live) left so little room that incremental
 *   marking started again soon: after a minute idle, tracking ran a full
 *   collection every ~10 search pages (p95 ~22 -> ~37 ms, session 8); under
 *   log-batch load, with a factor of 2, gateway and tracking each still ran
 *   one every ~3.5 s, each stopping the process for 5-20 ms (the p99 of the
 *   ingest bench). With 4: about one a minute. The price: a heap limit of
 *   about four times the live size (RSS ~250 MB instead of ~180 under load).
 * - `--no-parallel-scavenge`: a service's young generation keeps well under
 *   1 MB alive per scavenge, so helper threads buy little, and on a loaded
 *   machine the main thread waited for them to be scheduled: scavenge pauses
 *   of 2.6-2.9 ms mean (max 15) became 1.7-1.9 (max 9) under ingest load.
 *
 * Set at start-up, before much is allocated; V8 reads both whenever it
 * computes a limit or starts a scavenge. bench/README.md, sessions 8 and 9.
 */
const V8_FLAGS: readonly { name: string; value: string }[] = [
  { name: 'heap-growing-percent', value: '--heap-growing-percent=300' },
  { name: 'parallel-scavenge', value: '--no-parallel-scavenge' },
];

export function setV8Flags(): void {
  for (const { name, value } of V8_FLAGS) {
    const set = process.execArgv.some((arg) => arg.startsWith(`--${name}`) || arg.startsWith(`--no-${name}`));
    if (!set) setFlagsFromString(value);
  }
}

/**
 * Runs a process's main: a configuration problem is printed plainly (it names
 * the variable) and exits 2; SIGINT/SIGTERM call `stop` once, then exit.
 */
export function runProcess(start: () => Promise<{ stop: () => Promise<void> }>): void {
  setV8Flags();
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
