import type { IncomingMessage } from 'node:http';
import { errorCodes, LogController } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { CairnConfig } from '@cairn/config';
import { CairnError } from '@cairn/contracts';
import {
  httpRequestDuration,
  Logger,
  NestPinoLogger,
  REQUEST_ID_HEADER,
  requestIdFrom,
  runWithRequestId,
} from '@cairn/observability';
import { STREAMED_UPLOAD_ROUTES } from './controllers/artifacts.controller';
import { GatewayModule } from './gateway.module';
import { MLFLOW_PREFIXES, NOT_BUILT_YET, NOT_BUILT_YET_ABSOLUTE } from './http/routes';
import { installSecurity } from './security/install';

export { gatewayPersistence } from './persistence';

const BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** Internal content type that marks an artifact upload body to be handed over as a raw stream. */
const ARTIFACT_STREAM = 'application/x-cairn-artifact-stream';

/** Starts the gateway: the only public HTTP surface. */
export async function bootstrapGateway(config: CairnConfig, logger: Logger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One log line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 2048 },
    genReqId: (req: IncomingMessage) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    return503OnClosing: true,
  });
  const fastify = adapter.getInstance();
  // MLflow takes JSON only: any other content type on a body is INVALID_PARAMETER_VALUE.
  fastify.removeContentTypeParser('text/plain');
  // Artifact uploads (and only they) take a body of any type, unparsed and unbounded, as a stream: their
  // content type is swapped for an internal one before parsing, whose parser passes the request through.
  const isStreamedUpload = (method: string, url: string | undefined): boolean =>
    STREAMED_UPLOAD_ROUTES.has(`${method} ${url ?? ''}`);
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (isStreamedUpload(request.method, request.routeOptions.url)) request.raw.headers['content-type'] = ARTIFACT_STREAM;
    done(null, payload);
  });
  fastify.addContentTypeParser(ARTIFACT_STREAM, (request, payload, done) => {
    if (isStreamedUpload(request.method, request.routeOptions.url)) done(null, payload);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(ARTIFACT_STREAM), undefined);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    runWithRequestId(request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    logger.info(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
    done();
  });
  // Authentication, authorization, rate limits and audit around every route (security/security.gate.ts).
  const security = installSecurity(fastify);
  const notBuilt = (method: string, url: string): void => {
    fastify.route({
      method,
      url,
      handler: async (_request, reply) => {
        const error = CairnError.notImplemented(`${method} ${url} is not implemented in Cairn yet`);
        return reply.status(error.httpStatus).send(error.toJSON());
      },
    });
  };
  for (const [method, path] of NOT_BUILT_YET) for (const prefix of MLFLOW_PREFIXES) notBuilt(method, `/${prefix}/${path}`);
  for (const [method, url] of NOT_BUILT_YET_ABSOLUTE) notBuilt(method, url);

  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, logger), adapter, {
    logger: new NestPinoLogger(logger),
  });
  security.attach(app);
  if (!config.security.auth) {
    logger.warn(
      'AUTHENTICATION IS OFF (CAIRN_AUTH=off): anyone who can reach this port can read, change and delete everything. Set CAIRN_AUTH=on with CAIRN_ADMIN_USERNAME/CAIRN_ADMIN_PASSWORD before sharing this server.',
    );
  }
  await app.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${config.http.host}:${config.http.port}` }, 'gateway listening');
  return app;
}
