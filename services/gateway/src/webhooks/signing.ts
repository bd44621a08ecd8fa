import { createHmac, timingSafeEqual } from 'node:crypto';

/** MLflow (Standard Webhooks): `v1,` + base64 HMAC-SHA256(secret, "<delivery id>.<unix seconds>.<body>"). */
export function mlflowSignature(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`;
}

/** The managed registry: lowercase hex HMAC-SHA256(secret, raw body). */
export function registrySignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time comparison, for receivers (and tests). */
export function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
