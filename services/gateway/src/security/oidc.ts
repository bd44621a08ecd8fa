import type * as Jose from 'jose';
import type { OidcConfig } from '@cairn/config';

type JoseModule = typeof Jose;
/** jose is ESM-only: loaded with a real dynamic import (TypeScript would turn `import()` into `require`). */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importJose = new Function('return import("jose")') as () => Promise<JoseModule>;

export interface OidcIdentity {
  username: string;
  groups: string[];
  /** Seconds since the epoch, when the token expires. */
  expiresAt: number | undefined;
}

/** Verifies SSO bearer JWTs against the issuer's JWKS (signature, issuer, audience, expiry) with jose. */
export class OidcVerifier {
  private jwks: ReturnType<JoseModule['createRemoteJWKSet']> | undefined;
  private jose: JoseModule | undefined;

  constructor(private readonly config: OidcConfig) {}

  async verify(token: string): Promise<OidcIdentity> {
    this.jose ??= await importJose();
    this.jwks ??= this.jose.createRemoteJWKSet(new URL(this.config.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5000 });
    const { payload } = await this.jose.jwtVerify(token, this.jwks, {
      issuer: this.config.issuer,
      audience: this.config.audience,
      clockTolerance: 30,
    });
    const claim = payload[this.config.usernameClaim] ?? payload.sub;
    if (typeof claim !== 'string' || claim === '') throw new Error(`the token has no '${this.config.usernameClaim}' claim`);
    const rawGroups = payload[this.config.groupsClaim];
    const groups = Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === 'string') : [];
    return { username: claim.slice(0, 256), groups, expiresAt: payload.exp };
  }
}

/** A compact JWS: three base64url parts. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
