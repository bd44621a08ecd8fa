import { DynamicModule, Module } from '@nestjs/common';
import { ClientProxyFactory } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { EventsModule } from '@cairn/events';
import { grpcClientOptions, HEALTH_PROBE, HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { PersistenceModule } from '@cairn/persistence';
import { GovernanceGrpc } from './grpc/governance.grpc';
import { ModelVersionsGrpc } from './grpc/model-versions.grpc';
import { RegisteredModelsGrpc } from './grpc/registered-models.grpc';
import { registryPersistence } from './persistence';
import { ActivitiesRepository } from './repositories/activities.repository';
import { ARTIFACTS_GRPC, ArtifactsRepository } from './repositories/artifacts.repository';
import { ModelVersionsRepository } from './repositories/model-versions.repository';
import { RegisteredModelsRepository } from './repositories/registered-models.repository';
import { TRACKING_GRPC, TrackingRepository } from './repositories/tracking.repository';
import { GovernanceService } from './services/governance.service';
import { ModelSources } from './services/model-sources.service';
import { ModelVersionsService } from './services/model-versions.service';
import { RegisteredModelsService } from './services/registered-models.service';
import { RegistrationSweeper } from './services/registration-sweeper.service';
import { StageTransitions } from './services/stage-transitions.service';
import { RegistryViews } from './services/views.service';

/**
 * The registry service: registered models, versions, stages, aliases, tags,
 * search, governance (transition requests, comments, activity). Owns schema
 * `registry`; reads runs and logged models from tracking and listings from
 * artifacts over gRPC.
 */
@Module({})
export class RegistryModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: RegistryModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger),
        PersistenceModule.forService(config.database, registryPersistence, logger),
        EventsModule.forService({ schema: registryPersistence.schema, source: '/cairn/registry' }),
      ],
      controllers: [RegisteredModelsGrpc, ModelVersionsGrpc, GovernanceGrpc, HealthGrpcController],
      providers: [
        {
          provide: TRACKING_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('tracking', config.grpcUrls.tracking)),
        },
        {
          provide: ARTIFACTS_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('artifacts', config.grpcUrls.artifacts)),
        },
        RegisteredModelsRepository,
        ModelVersionsRepository,
        ActivitiesRepository,
        TrackingRepository,
        ArtifactsRepository,
        RegistryViews,
        StageTransitions,
        ModelSources,
        RegisteredModelsService,
        ModelVersionsService,
        GovernanceService,
        RegistrationSweeper,
        {
          provide: HEALTH_PROBE,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => async () => (await dataSource.query<unknown[]>('SELECT 1')).length === 1,
        },
      ],
    };
  }
}
