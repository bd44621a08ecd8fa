import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClientProxyFactory } from '@nestjs/microservices';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { grpcClientOptions } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { ArtifactsClient } from './clients/artifacts.client';
import { REGISTRY_GRPC, RegistryClient } from './clients/registry.client';
import { TRACKING_GRPC, TrackingClient } from './clients/tracking.client';
import { ArtifactsController, RunArtifactsController } from './controllers/artifacts.controller';
import { ExperimentsController } from './controllers/experiments.controller';
import { HealthController } from './controllers/health.controller';
import { MetricsController } from './controllers/metrics.controller';
import { RunsController } from './controllers/runs.controller';
import { LoggedModelsController } from './controllers/logged-models.controller';
import { CommentsController } from './controllers/comments.controller';
import { RegistryModelsController } from './controllers/registry-models.controller';
import { RegistryVersionsController } from './controllers/registry-versions.controller';
import { TransitionRequestsController } from './controllers/transition-requests.controller';
import { MlflowExceptionFilter } from './filters/mlflow-exception.filter';
import { ArtifactProxyService } from './services/artifact-proxy.service';
import { ArtifactUriResolver } from './services/artifact-uris.service';

@Module({})
export class GatewayModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger)],
      controllers: [HealthController, ExperimentsController, RunsController, MetricsController, LoggedModelsController, ArtifactsController, RunArtifactsController, RegistryModelsController, RegistryVersionsController, TransitionRequestsController, CommentsController],
      providers: [
        {
          provide: TRACKING_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('tracking', config.grpcUrls.tracking)),
        },
        TrackingClient,
        {
          provide: REGISTRY_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('registry', config.grpcUrls.registry)),
        },
        RegistryClient,
        ArtifactsClient,
        ArtifactUriResolver,
        ArtifactProxyService,
        { provide: APP_FILTER, useClass: MlflowExceptionFilter },
      ],
    };
  }
}
