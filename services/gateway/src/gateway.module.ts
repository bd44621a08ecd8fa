import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClientProxyFactory } from '@nestjs/microservices';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { grpcClientOptions } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { TRACKING_GRPC, TrackingClient } from './clients/tracking.client';
import { ExperimentsController } from './controllers/experiments.controller';
import { HealthController } from './controllers/health.controller';
import { MlflowExceptionFilter } from './filters/mlflow-exception.filter';

@Module({})
export class GatewayModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger)],
      controllers: [HealthController, ExperimentsController],
      providers: [
        {
          provide: TRACKING_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('tracking', config.grpcUrls.tracking)),
        },
        TrackingClient,
        { provide: APP_FILTER, useClass: MlflowExceptionFilter },
      ],
    };
  }
}
