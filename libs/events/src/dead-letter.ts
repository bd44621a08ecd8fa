import { deadLetterTopic } from '@cairn/contracts';
import type { Logger } from '@cairn/observability';
import { EventMessage, EventPublisher } from './transport';

/** Header names added to a dead-lettered message. */
export const DLQ_HEADERS = {
  reason: 'cairn-dlq-reason',
  originalTopic: 'cairn-dlq-original-topic',
  group: 'cairn-dlq-group',
} as const;

/**
 * Runs a subscription's processing on one message; a message that still
 * fails goes to the topic's dead-letter topic so the partition moves on.
 * If even the dead-letter publish fails, the error propagates and the
 * transport redelivers the message later.
 */
export async function processOrDeadLetter(
  message: EventMessage,
  group: string,
  process: (message: EventMessage) => Promise<void>,
  deadLetters: EventPublisher,
  logger: Logger,
): Promise<void> {
  try {
    await process(message);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.error({ topic: message.topic, key: message.key, group, err: reason }, 'event dead-lettered');
    await deadLetters.publish([
      {
        topic: deadLetterTopic(message.topic),
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DLQ_HEADERS.reason]: reason.slice(0, 2000),
          [DLQ_HEADERS.originalTopic]: message.topic,
          [DLQ_HEADERS.group]: group,
        },
      },
    ]);
  }
}
