import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { EventsModule } from '@cairn/events';
import { HEALTH_PROBE, HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { PersistenceModule } from '@cairn/persistence';
import { ExperimentsGrpc } from './grpc/experiments.grpc';
import { trackingPersistence } from './persistence';
import { ExperimentsRepository } from './repositories/experiments.repository';
import { ExperimentsService } from './services/experiments.service';

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
      controllers: [ExperimentsGrpc, HealthGrpcController],
      providers: [
        ExperimentsRepository,
        ExperimentsService,
        {
          provide: HEALTH_PROBE,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => async () => (await dataSource.query<unknown[]>('SELECT 1')).length === 1,
        },
      ],
    };
  }
}
