import { deadLetterTopic, EventValidationError, parseCloudEvent, topicOf } from './events';

const valid = {
  specversion: '1.0',
  id: '3b241101-e2bb-4255-8caf-4136c566a962',
  source: '/cairn/tracking',
  type: 'cairn.tracking.experiment.created.v1',
  time: '2026-11-26T10:00:00.000Z',
  subject: '7',
  datacontenttype: 'application/json',
  data: { experiment_id: '7', name: 'e', artifact_location: 'mlflow-artifacts:/7' },
};

describe('event contracts', () => {
  it('routes a type to its domain topic and names the dead-letter topic', () => {
    expect(topicOf('cairn.tracking.run.finished.v1')).toBe('cairn.tracking.v1');
    expect(deadLetterTopic('cairn.tracking.v1')).toBe('cairn.tracking.v1.dlq');
  });

  it('accepts a valid CloudEvent', () => {
    expect(parseCloudEvent(valid).data).toEqual(valid.data);
  });

  it.each([
    ['a bad envelope', { ...valid, specversion: '0.3' }, /envelope/],
    ['an unknown type', { ...valid, type: 'cairn.nope.v1' }, /unknown event type/],
    ['data that breaks the schema', { ...valid, data: { experiment_id: '7' } }, /invalid data/],
    ['a non-uuid id', { ...valid, id: 'x' }, /envelope/],
  ])('rejects %s', (_what, event, message) => {
    expect(() => parseCloudEvent(event)).toThrow(EventValidationError);
    expect(() => parseCloudEvent(event)).toThrow(message);
  });
});
