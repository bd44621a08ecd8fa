import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CairnConfig } from '@cairn/config';
import { SecretBox } from '../security/secrets';

export const SECRET_BOX = Symbol('SECRET_BOX');

/**
 * The key that encrypts webhook secrets at rest: CAIRN_SECRET_KEY, or (when
 * embedded without one) a random key kept in <data dir>/gateway-secret.key,
 * readable by the owner only. Distributed without a key: no secrets can be stored.
 */
export function secretBoxFor(config: CairnConfig): SecretBox | undefined {
  if (config.security.secretKey !== undefined) return new SecretBox(config.security.secretKey);
  if (config.mode === 'distributed') return undefined;
  const file = path.join(config.dataDir, 'gateway-secret.key');
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    key = randomBytes(32);
    writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return new SecretBox(key);
}
