import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CAIRN_CONFIG, CairnConfig, EventsConfig } from '@cairn/config';
import { deadLetterTopic, TOPICS } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { InProcessEventBus } from './in-process-bus';
import { createKafka, ensureTopics, KafkaEventPublisher, KafkaEventSubscriber } from './kafka';
import { OutboxWriter } from './outbox';
import { OutboxCommitSubscriber, OutboxRelay } from './relay';
import { EventPublisher, EventSubscriber } from './transport';

export interface EventTransport {
  publisher: EventPublisher;
  subscriber: EventSubscriber;
  close(): Promise<void>;
}

export const EVENT_TRANSPORT = Symbol('EVENT_TRANSPORT');

let processBus: InProcessEventBus | undefined;

/** The process's in-process bus (embedded mode): one per process, shared by all services in it. */
export function inProcessBus(logger: Logger): InProcessEventBus {
  processBus ??= new InProcessEventBus(logger.child({ component: 'event-bus' }));
  return processBus;
}

export function resetInProcessBus(): void {
  processBus = undefined;
}

export function createEventTransport(config: EventsConfig, logger: Logger): EventTransport {
  if (config.kind === 'in-process') {
    const bus = inProcessBus(logger);
    // The bus outlives any one service; the process owner closes it.
    return { publisher: bus, subscriber: bus, close: () => bus.idle() };
  }
  const kafka = createKafka(config, logger);
  const publisher = new KafkaEventPublisher(kafka);
  const subscriber = new KafkaEventSubscriber(kafka, publisher, logger);
  const topics = Object.values(TOPICS).flatMap((t) => [t, deadLetterTopic(t)]);
  void (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(kafka, topics);
        return;
      } catch (err) {
        logger.warn({ attempt, err: (err as Error).message }, 'could not ensure Kafka topics yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)).unref());
      }
    }
  })();
  return {
    publisher,
    subscriber,
    close: async () => {
      await subscriber.close();
      await publisher.close();
    },
  };
}

@Injectable()
class RelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(CAIRN_CONFIG) private readonly config: CairnConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.dataSource.subscribers.push(new OutboxCommitSubscriber(this.relay));
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.relay.flush(Math.min(5000, this.config.shutdownTimeoutMs));
    await this.transport.close();
  }
}

@Module({})
export class EventsModule {
  /** The outbox writer and relay of one service, over its own DataSource and schema. */
  static forService(options: { schema: string; source: string }): DynamicModule {
    return {
      module: EventsModule,
      providers: [
        { provide: OutboxWriter, useValue: new OutboxWriter(options.schema, options.source) },
        {
          provide: EVENT_TRANSPORT,
          inject: [CAIRN_CONFIG, LOGGER],
          useFactory: (config: CairnConfig, logger: Logger) => createEventTransport(config.events, logger),
        },
        {
          provide: OutboxRelay,
          inject: [DataSource, EVENT_TRANSPORT, CAIRN_CONFIG, LOGGER],
          useFactory: (dataSource: DataSource, transport: EventTransport, config: CairnConfig, logger: Logger) =>
            new OutboxRelay(
              dataSource,
              transport.publisher,
              { schema: options.schema, pollMs: config.outboxPollMs, exclusive: config.database.kind === 'postgres' },
              logger.child({ component: 'outbox-relay', schema: options.schema }),
            ),
        },
        RelayLifecycle,
      ],
      exports: [OutboxWriter, OutboxRelay, EVENT_TRANSPORT],
    };
  }
}
