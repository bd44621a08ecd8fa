import { Inject, Injectable } from '@nestjs/common';
import { CAIRN_CONFIG, CairnConfig } from '@cairn/config';
import { LOGGER, Logger } from '@cairn/observability';
import { IdentityRepository } from '../repositories/identity.repository';
import { looksLikeJwt, OidcVerifier } from './oidc';
import { Principal } from './principal';
import { hashToken, sha256, TOKEN_PREFIX, verifyPassword } from './secrets';
import { TtlCache } from './ttl-cache';

/** How long a verified credential is trusted without a database look-up (revocations on other replicas take this long). */
export const CREDENTIAL_TTL_MS = 10_000;

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'missing' | 'invalid'; message: string };

/**
 * Establishes who calls: HTTP Basic (username/password, scrypt-checked),
 * bearer API tokens (`cairn_...`, SHA-256-checked) and, when configured,
 * bearer OIDC JWTs. Verified credentials are kept in an LRU with a short TTL,
 * keyed by a hash of the credential, so a cached token costs a hash and a
 * map look-up.
 */
@Injectable()
export class Authenticator {
  private readonly cache = new TtlCache<Principal>(10_000, CREDENTIAL_TTL_MS);
  private readonly oidc: OidcVerifier | undefined;

  constructor(
    @Inject(CAIRN_CONFIG) config: CairnConfig,
    private readonly identity: IdentityRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.oidc = config.security.oidc ? new OidcVerifier(config.security.oidc) : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    if (!authorization) return { ok: false, reason: 'missing', message: 'Authentication required' };
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const credential = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'basic') return this.basic(credential);
    if (scheme === 'bearer') return this.bearer(credential);
    return { ok: false, reason: 'invalid', message: `Unsupported authorization scheme '${scheme}'` };
  }

  /** Forget every cached credential (after a password change, a revocation, a deletion, an admin change). */
  invalidate(): void {
    this.cache.clear();
  }

  private async basic(credential: string): Promise<AuthResult> {
    const key = `b:${sha256(credential)}`;
    const cached = this.cache.get(key);
    if (cached) return { ok: true, principal: cached };
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return invalid('Malformed Basic credentials');
    const username = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const user = await this.identity.findUser(username);
    // Verify against a dummy hash when the user is unknown, so timing does not reveal who exists.
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok) return invalid('Incorrect username or password');
    const principal: Principal = {
      username: user.username,
      isAdmin: user.is_admin,
      groups: await this.identity.groupsOf(user.username),
      method: 'basic',
    };
    this.cache.set(key, principal);
    return { ok: true, principal };
  }

  private async bearer(token: string): Promise<AuthResult> {
    if (token === '') return invalid('Empty bearer token');
    if (token.startsWith(TOKEN_PREFIX)) {
      const hash = hashToken(token);
      const key = `t:${hash}`;
      const cached = this.cache.get(key);
      if (cached) return { ok: true, principal: cached };
      const row = await this.identity.findActiveToken(hash);
      if (!row) return invalid('Invalid, expired or revoked token');
      const principal: Principal = {
        username: row.username,
        isAdmin: row.is_admin,
        groups: await this.identity.groupsOf(row.username),
        method: 'token',
        tokenId: row.id,
      };
      const ttl = row.expires_at ? new Date(row.expires_at).getTime() - Date.now() : CREDENTIAL_TTL_MS;
      this.cache.set(key, principal, ttl);
      void this.identity.touchToken(row.id).catch(() => undefined);
      return { ok: true, principal };
    }
    if (this.oidc && looksLikeJwt(token)) {
      const key = `j:${sha256(token)}`;
      const cached = this.cache.get(key);
      if (cached) return { ok: true, principal: cached };
      let identity;
      try {
        identity = await this.oidc.verify(token);
      } catch (err) {
        this.logger.debug({ err: (err as Error).message }, 'OIDC token refused');
        return invalid(`Invalid OIDC token: ${(err as Error).message}`);
      }
      // Single sign-on users are created on first sight (no password), so admins can grant and promote them.
      const user = (await this.identity.findUser(identity.username)) ?? (await this.identity.insertUser(identity.username, null, false));
      const dbGroups = await this.identity.groupsOf(identity.username);
      const principal: Principal = {
        username: identity.username,
        isAdmin: user?.is_admin ?? false,
        groups: [...new Set([...dbGroups, ...identity.groups])],
        method: 'oidc',
      };
      const ttl = identity.expiresAt !== undefined ? identity.expiresAt * 1000 - Date.now() : CREDENTIAL_TTL_MS;
      this.cache.set(key, principal, ttl);
      return { ok: true, principal };
    }
    return invalid('Invalid token');
  }
}

function invalid(message: string): AuthResult {
  return { ok: false, reason: 'invalid', message };
}

/** A valid scrypt hash of a random password: unknown users cost as much as known ones. */
const DUMMY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$9dfnd9Yk0Y0zJ8m6eFqKx8h5mV2q3Xr1XyJ8gq3o3eA=';
