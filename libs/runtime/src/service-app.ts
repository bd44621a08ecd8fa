import { DynamicModule, INestApplicationContext, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CairnConfig } from '@cairn/config';
import { GrpcContextInterceptor, GrpcExceptionFilter, grpcServerOptions, GrpcServiceName } from '@cairn/grpc';
import { Logger, NestPinoLogger } from '@cairn/observability';

/** Starts one gRPC service (its Nest microservice) listening where the config says. */
export async function startGrpcService(
  service: GrpcServiceName,
  module: DynamicModule,
  config: CairnConfig,
  logger: Logger,
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, {
    ...grpcServerOptions(service, config.grpcListen[service]),
    logger: new NestPinoLogger(logger),
  });
  app.useGlobalFilters(new GrpcExceptionFilter(logger));
  app.useGlobalInterceptors(new GrpcContextInterceptor());
  await app.listen();
  logger.info({ grpc: service, listen: config.grpcListen[service] }, 'gRPC service listening');
  return app;
}

/** Closes apps in order, each bounded by the shutdown timeout. */
export async function closeInOrder(apps: INestApplicationContext[], timeoutMs: number, logger: Logger): Promise<void> {
  for (const app of apps) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn('shutdown step timed out');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([app.close(), timeout]);
    clearTimeout(timer);
  }
}
