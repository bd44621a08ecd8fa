import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who a request acts for, as authentication established it. */
export interface Principal {
  username: string;
  isAdmin: boolean;
  /** Groups from the database and, for OIDC, from the token's groups claim. */
  groups: string[];
  method: 'basic' | 'token' | 'oidc' | 'anonymous';
  /** The API token used, if any. */
  tokenId?: string;
}

export const ANONYMOUS_USER = 'anonymous';

/** With authentication off, every caller is this: unrestricted, named by X-Cairn-User if given. */
export function unrestricted(username: string): Principal {
  return { username, isAdmin: true, groups: [], method: 'anonymous' };
}

const KEY = Symbol.for('cairn.principal');

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  (request as unknown as Record<symbol, Principal>)[KEY] = principal;
}

export function principalOf(request: FastifyRequest): Principal | undefined {
  return (request as unknown as Record<symbol, Principal | undefined>)[KEY];
}

/** Controller parameter: the authenticated principal (the security hooks set it on every request). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  return principalOf(request) ?? unrestricted(ANONYMOUS_USER);
});
