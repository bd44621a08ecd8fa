import type { FastifyInstance } from 'fastify';
import type { INestApplicationContext } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { SecurityGate } from './security.gate';

export interface RegisteredRoute {
  method: string;
  url: string;
}

const ROUTES = new WeakMap<object, RegisteredRoute[]>();

/** The routes Fastify registered for this application (for the rule-coverage test). */
export function registeredRoutes(app: object): RegisteredRoute[] {
  return ROUTES.get(app) ?? [];
}

export interface InstalledSecurity {
  /** Every route Fastify registered, as it registered it (for the rule-coverage check). */
  routes: RegisteredRoute[];
  /** Hands the hooks the gate once the Nest application exists (before it listens). */
  attach(app: INestApplicationContext): SecurityGate;
}

/**
 * Installs the security hooks on the Fastify instance before any route is
 * registered, so every route (Nest's and the 501 stubs) passes through them.
 * Until the gate is attached every request is refused (the server does not
 * listen before that anyway).
 */
export function installSecurity(fastify: FastifyInstance): InstalledSecurity {
  const routes: RegisteredRoute[] = [];
  let gate: SecurityGate | undefined;
  const notReady = new CairnError('TEMPORARILY_UNAVAILABLE', 'The gateway is starting');
  fastify.addHook('onRoute', (options) => {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    for (const method of methods) routes.push({ method: String(method), url: options.url });
  });
  fastify.addHook('onRequest', async (request, reply) => {
    if (!gate) return reply.code(503).send(notReady.toJSON());
    await gate.onRequest(request, reply);
    return undefined;
  });
  fastify.addHook('preHandler', async (request, reply) => {
    await gate?.preHandler(request, reply);
  });
  fastify.addHook('preSerialization', async (request, reply, payload) => (gate ? gate.preSerialization(request, reply, payload) : payload));
  fastify.addHook('onSend', async (request, reply, payload) => (gate ? gate.onSend(request, reply, payload) : payload));
  return {
    routes,
    attach(app) {
      const attached = app.get(SecurityGate);
      gate = attached;
      ROUTES.set(app, routes);
      return attached;
    },
  };
}
