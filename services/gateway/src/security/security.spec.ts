import { atLeast, managedLevel, mlflowLevel, parseManagedLevel, parseMlflowLevel } from './levels';
import { hashPassword, hashToken, newApiToken, verifyPassword } from './secrets';
import { TtlCache } from './ttl-cache';

describe('permission levels', () => {
  it('orders the levels of both vocabularies as one model', () => {
    expect(atLeast('MANAGE', 'CAN_MANAGE_PRODUCTION_VERSIONS')).toBe(true);
    expect(atLeast('CAN_MANAGE_PRODUCTION_VERSIONS', 'CAN_MANAGE_STAGING_VERSIONS')).toBe(true);
    expect(atLeast('EDIT', 'CAN_MANAGE_STAGING_VERSIONS')).toBe(false);
    expect(atLeast('NO_PERMISSIONS', 'READ')).toBe(false);
    expect(parseManagedLevel('CAN_EDIT', 'registered_model')).toBe('EDIT');
    expect(parseManagedLevel('CAN_MANAGE_STAGING_VERSIONS', 'registered_model')).toBe('CAN_MANAGE_STAGING_VERSIONS');
    expect(() => parseManagedLevel('CAN_MANAGE_STAGING_VERSIONS', 'experiment')).toThrow(/Invalid permission_level/);
    expect(() => parseMlflowLevel('ADMIN')).toThrow(/Invalid permission/);
    expect(mlflowLevel('CAN_MANAGE_PRODUCTION_VERSIONS')).toBe('EDIT');
    expect(managedLevel('MANAGE')).toBe('CAN_MANAGE');
    expect(managedLevel('NO_PERMISSIONS')).toBeUndefined();
  });
});

describe('credentials', () => {
  it('stores passwords as salted scrypt hashes', async () => {
    const hash = await hashPassword('s3cret');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(hash).not.toContain('s3cret');
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
    expect(await verifyPassword('s3cret', null)).toBe(false);
    expect(await hashPassword('s3cret')).not.toBe(hash);
  });

  it('makes high-entropy tokens, stored as SHA-256', () => {
    const a = newApiToken();
    expect(a).toMatch(/^cairn_[A-Za-z0-9_-]{43}$/);
    expect(newApiToken()).not.toBe(a);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('caches with an LRU bound and a TTL', () => {
    const cache = new TtlCache<number>(2, 1000);
    cache.set('a', 1, 1000, 0);
    cache.set('b', 2, 1000, 0);
    expect(cache.get('a', 10)).toBe(1);
    cache.set('c', 3, 1000, 10);
    expect(cache.get('b', 10)).toBeUndefined();
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1001)).toBeUndefined();
    cache.set('d', 4, 50, 0);
    expect(cache.get('d', 60)).toBeUndefined();
  });
});
