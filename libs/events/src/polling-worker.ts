import type { Logger } from '@cairn/observability';

export interface PollingWorkerOptions {
  /** One pass; returns how many items it handled. */
  pass: () => Promise<number>;
  /** A pass that handled this many goes again at once (there may be more). */
  batchSize: number;
  pollMs: number;
  /** Ceiling of the exponential backoff after failed passes. */
  maxBackoffMs: number;
  logger: Logger;
  /** Log message for a failed pass. */
  failure: string;
}

/**
 * A background loop: run a pass, then sleep `pollMs` (backing off after
 * failures) unless the pass was full or someone nudged it meanwhile.
 * Shared by the outbox relay and the webhook delivery worker.
 */
export class PollingWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nudged = false;

  constructor(private readonly options: PollingWorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Ask for a pass now; a nudge during a pass makes another pass follow at once. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { pass, batchSize, pollMs, maxBackoffMs, logger, failure } = this.options;
    let failures = 0;
    while (this.running) {
      let handled = 0;
      try {
        this.nudged = false;
        handled = await pass();
        failures = 0;
      } catch (err) {
        failures++;
        logger.warn({ failures, err: (err as Error).message }, failure);
      }
      if (!this.running) break;
      if (handled >= batchSize || this.nudged) continue;
      const delay = failures === 0 ? pollMs : Math.min(maxBackoffMs, pollMs * 2 ** failures);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
