import type { Logger } from '@cairn/observability';
import { processOrDeadLetter } from './dead-letter';
import { EventMessage, EventPublisher, EventSubscriber, SubscriptionOptions } from './transport';

interface Group {
  options: SubscriptionOptions;
  queue: EventMessage[];
  draining: Promise<void> | undefined;
}

/**
 * Embedded mode's event transport: the same outbox relays here instead of to
 * Kafka. Each consumer group has its own FIFO queue, drained asynchronously
 * (publishing never waits for consumers, so the relay's transaction stays
 * short). Dead letters go to `<topic>.dlq` on the bus like any topic.
 */
export class InProcessEventBus implements EventPublisher, EventSubscriber {
  private readonly groups = new Map<string, Group>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  publish(messages: EventMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('event bus is closed'));
    for (const message of messages) {
      for (const group of this.groups.values()) {
        if (!group.options.topics.includes(message.topic)) continue;
        group.queue.push(message);
        group.draining ??= this.drain(group);
      }
    }
    return Promise.resolve();
  }

  subscribe(options: SubscriptionOptions): Promise<void> {
    if (this.groups.has(options.group)) throw new Error(`consumer group ${options.group} already subscribed`);
    this.groups.set(options.group, { options, queue: [], draining: undefined });
    return Promise.resolve();
  }

  /** Waits until every queued message has been processed (shutdown, tests). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.groups.values()].map((g) => g.draining).filter((d) => d !== undefined);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
  }

  private async drain(group: Group): Promise<void> {
    await Promise.resolve();
    try {
      for (let message = group.queue.shift(); message; message = group.queue.shift()) {
        try {
          await processOrDeadLetter(message, group.options.group, (m) => group.options.process(m), this, this.logger);
        } catch (err) {
          this.logger.error({ err: (err as Error).message, group: group.options.group }, 'event lost by the in-process bus');
        }
      }
    } finally {
      group.draining = undefined;
    }
  }
}
