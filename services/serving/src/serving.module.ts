import { DynamicModule, Module } from '@nestjs/common';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';

/** The serving service: answers gRPC health; its RPCs are not built yet (see the README's status table). */
@Module({})
export class ServingModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: ServingModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger)],
      controllers: [HealthGrpcController],
    };
  }
}
