import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { EventsModule } from '@cairn/events';
import { HEALTH_PROBE, HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { PersistenceModule } from '@cairn/persistence';
import { ExperimentsGrpc } from './grpc/experiments.grpc';
import { MetricsGrpc } from './grpc/metrics.grpc';
import { RunsGrpc } from './grpc/runs.grpc';
import { LoggedModelsGrpc } from './grpc/logged-models.grpc';
import { trackingPersistence } from './persistence';
import { ExperimentsRepository } from './repositories/experiments.repository';
import { MetricsRepository } from './repositories/metrics.repository';
import { RunsRepository } from './repositories/runs.repository';
import { LoggedModelsRepository } from './repositories/logged-models.repository';
import { ExperimentsService } from './services/experiments.service';
import { MetricsService } from './services/metrics.service';
import { RunsService } from './services/runs.service';
import { LoggedModelsService } from './services/logged-models.service';

@Module({})
export class TrackingModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: TrackingModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger),
        PersistenceModule.forService(config.database, trackingPersistence, logger),
        EventsModule.forService({ schema: trackingPersistence.schema, source: '/cairn/tracking' }),
      ],
      controllers: [ExperimentsGrpc, RunsGrpc, MetricsGrpc, LoggedModelsGrpc, HealthGrpcController],
      providers: [
        ExperimentsRepository,
        ExperimentsService,
        RunsRepository,
        MetricsRepository,
        RunsService,
        MetricsService,
        LoggedModelsRepository,
        LoggedModelsService,
        {
          provide: HEALTH_PROBE,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => async () => (await dataSource.query<unknown[]>('SELECT 1')).length === 1,
        },
      ],
    };
  }
}
