import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { TOPICS } from '@cairn/contracts';
import { createEventTransport, EventConsumer, EventTransport } from '@cairn/events';
import { LOGGER, Logger } from '@cairn/observability';
import { DeliveryService } from './delivery.service';
import { CONSUMED_TYPES } from './vocabulary';

/**
 * The gateway's event consumer: registry and tracking events (Kafka consumer
 * group, or the in-process bus when embedded) become webhook deliveries,
 * each event once (consumed_events), in the same transaction as its
 * delivery rows. The group is per installation (its database), so gateway
 * replicas share the work.
 */
@Injectable()
export class WebhookEventSubscription implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private transport: EventTransport | undefined;
  private stopped = false;

  constructor(
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
    private readonly dataSource: DataSource,
    private readonly delivery: DeliveryService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  get group(): string {
    const db = this.config.database;
    const suffix = db.kind === 'postgres' ? new URL(db.url).pathname.replace(/^\//, '') || 'default' : 'embedded';
    return `cairn-gateway-webhooks.${suffix}`;
  }

  onApplicationBootstrap(): void {
    const logger = this.logger.child({ component: 'webhook-events' });
    this.transport = createEventTransport(this.config.events, logger);
    // Deliveries written for the message being processed (one at a time per subscription).
    let enqueued = 0;
    const consumer = new EventConsumer(
      {
        name: 'gateway-webhooks',
        topics: [TOPICS.registry, TOPICS.tracking],
        types: CONSUMED_TYPES,
        dataSource: this.dataSource,
        schema: 'gateway',
        relevant: (event) => this.delivery.wants(event),
        handle: async (event, manager) => {
          enqueued = await this.delivery.fanOut(event, manager);
        },
      },
      logger,
    );
    const subscribe = async (): Promise<void> => {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          await this.transport!.subscriber.subscribe({
            group: this.group,
            topics: [TOPICS.registry, TOPICS.tracking],
            process: async (message) => {
              enqueued = 0;
              await consumer.process(message);
              if (enqueued > 0) this.delivery.nudge();
            },
          });
          return;
        } catch (err) {
          logger.warn({ attempt, err: (err as Error).message }, 'webhook event subscription failed; retrying');
          if (this.config.events.kind === 'in-process') return;
          await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)).unref());
        }
      }
    };
    void subscribe();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    // The in-process bus belongs to the process (closed by its owner); Kafka consumers are ours.
    if (this.config.events.kind === 'kafka') await this.transport?.close();
  }
}
