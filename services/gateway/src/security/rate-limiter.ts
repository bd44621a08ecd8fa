import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { LOGGER, Logger } from '@cairn/observability';

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

/** One atomic step of a fixed one-minute window: count, set the expiry on the first hit, return count and time left. */
const FIXED_WINDOW_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

/**
 * Requests per minute per user or token (fixed window). Redis-backed when
 * CAIRN_REDIS_URL is set (shared by every gateway replica), in memory
 * otherwise. If Redis is unreachable the limiter lets requests through
 * (and logs): an outage of the limiter never becomes an outage of the API.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly limit: number;
  private readonly redis: Redis | undefined;
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastWarning = 0;

  constructor(@Inject(CAIRN_CONFIG) config: CairnConfig, @Inject(LOGGER) private readonly logger: Logger) {
    this.limit = config.security.rateLimitPerMinute;
    if (this.limit > 0 && config.redisUrl !== undefined) {
      this.redis = new Redis(config.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 500,
      });
      this.redis.on('error', (err: Error) => this.warn(err.message));
      this.redis.defineCommand('cairnHit', { numberOfKeys: 1, lua: FIXED_WINDOW_LUA });
    }
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  async hit(key: string, now = Date.now()): Promise<RateDecision> {
    if (this.limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
    if (this.redis) {
      try {
        const [count, ttl] = (await (this.redis as unknown as { cairnHit(k: string, ms: number): Promise<[number, number]> }).cairnHit(
          `cairn:ratelimit:${key}`,
          WINDOW_MS,
        ));
        return { allowed: count <= this.limit, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
      } catch (err) {
        this.warn((err as Error).message);
        return { allowed: true, retryAfterSeconds: 0 };
      }
    }
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + WINDOW_MS };
      this.windows.set(key, window);
      if (this.windows.size > 100_000) this.sweep(now);
    }
    window.count++;
    return { allowed: window.count <= this.limit, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) this.redis.disconnect();
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }

  private warn(message: string): void {
    if (Date.now() - this.lastWarning < 30_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: message }, 'rate limiter: Redis unavailable, requests are not limited meanwhile');
  }
}
