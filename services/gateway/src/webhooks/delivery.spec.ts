import { createHmac } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '@cairn/config';
import type { CloudEvent } from '@cairn/contracts';
import { SecretBox } from '../security/secrets';
import { DeliveryService } from './delivery.service';
import type { SendResult } from './sender';
import { mlflowSignature, registrySignature, sameSignature } from './signing';
import { registryNotifications } from './vocabulary';

const result = (partial: Partial<SendResult>): SendResult => ({
  statusCode: null,
  latencyMs: 1,
  snippet: null,
  error: 'x',
  retryAfterMs: null,
  refused: false,
  ...partial,
});

describe('webhook delivery', () => {
  const config = loadConfig({ CAIRN_WEBHOOK_BACKOFF_MS: '1000', CAIRN_WEBHOOK_MAX_ATTEMPTS: '5' }, { service: 'gateway' });
  const service = new DeliveryService(config, {} as never, undefined, pino({ level: 'silent' }));

  it('retries network errors, 5xx, 408 and 429 with exponential backoff and jitter, then gives up', () => {
    expect(service.nextState(result({ statusCode: 204, error: null }), 1, 5)).toEqual({ status: 'delivered' });
    for (const r of [result({}), result({ statusCode: 500 }), result({ statusCode: 408 }), result({ statusCode: 429 })]) {
      const next = service.nextState(r, 3, 5);
      expect(next.status).toBe('pending');
      expect(next.retryInMs).toBeGreaterThanOrEqual(2000);
      expect(next.retryInMs).toBeLessThanOrEqual(4000);
    }
    expect(service.nextState(result({ statusCode: 500 }), 5, 5)).toEqual({ status: 'dead' });
  });

  it('honours Retry-After, and never retries a refusal or a 4xx', () => {
    expect(service.nextState(result({ statusCode: 503, retryAfterMs: 30_000 }), 1, 5).retryInMs).toBe(30_000);
    expect(service.nextState(result({ statusCode: 400 }), 1, 5)).toEqual({ status: 'dead' });
    expect(service.nextState(result({ statusCode: 301 }), 1, 5)).toEqual({ status: 'dead' });
    expect(service.nextState(result({ refused: true }), 1, 5)).toEqual({ status: 'dead' });
  });

  it('signs as MLflow (Standard Webhooks) and as the managed registry', () => {
    const body = '{"a":1}';
    const v1 = mlflowSignature('s', 'id-1', '1700000000', body);
    expect(v1).toBe(`v1,${createHmac('sha256', 's').update(`id-1.1700000000.${body}`).digest('base64')}`);
    expect(registrySignature('s', body)).toMatch(/^[0-9a-f]{64}$/);
    expect(sameSignature(v1, v1)).toBe(true);
    expect(sameSignature(v1, `${v1}x`)).toBe(false);
  });

  it('encrypts secrets at rest (AES-256-GCM) and detects tampering', () => {
    const box = new SecretBox('k'.repeat(32));
    const sealed = box.seal('hunter2');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toBe('hunter2');
    expect(() => new SecretBox('another key of 32 characters....').open(sealed)).toThrow();
    const [v, iv, tag, data] = sealed.split('.');
    expect(() => box.open([v, iv, tag, `${data}A`].join('.'))).toThrow();
  });

  it('maps a transition (and the versions it archived) to the managed registry’s events', () => {
    const event = {
      id: '00000000-0000-4000-8000-000000000000',
      type: 'cairn.registry.model_version.stage_transitioned.v1',
      time: new Date().toISOString(),
      data: {
        name: 'm',
        version: '2',
        from_stage: 'Staging',
        to_stage: 'Production',
        actor: 'alice',
        archived_versions: [{ version: '1', from_stage: 'Production' }],
        via: 'approved_request',
        comment: null,
      },
    } as unknown as CloudEvent;
    const names = registryNotifications(event).map((n) => `${n.event}:${n.key}`);
    expect(names).toEqual([
      'MODEL_VERSION_TRANSITIONED_STAGE:2',
      'MODEL_VERSION_TRANSITIONED_TO_PRODUCTION:2',
      'MODEL_VERSION_TRANSITIONED_STAGE:1',
      'MODEL_VERSION_TRANSITIONED_TO_ARCHIVED:1',
    ]);
  });
});
