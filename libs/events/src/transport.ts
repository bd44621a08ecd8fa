import { CloudEvent } from '@cairn/contracts';

/** A message as it travels: the CloudEvent serialised, its key and headers. */
export interface EventMessage {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Publishes already-committed outbox records; resolves only when the transport has them. */
export interface EventPublisher {
  publish(messages: EventMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveredEvent {
  event: CloudEvent;
  topic: string;
  headers: Record<string, string>;
}

export interface SubscriptionOptions {
  /** Consumer group: each group sees every event once. */
  group: string;
  topics: string[];
  /** Processes one raw message; throwing means "retry", see MessageProcessor. */
  process(message: EventMessage): Promise<void>;
}

export interface EventSubscriber {
  subscribe(options: SubscriptionOptions): Promise<void>;
  close(): Promise<void>;
}

export const CE_CONTENT_TYPE = 'application/cloudevents+json';
