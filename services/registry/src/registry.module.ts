import { DynamicModule, Module } from '@nestjs/common';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';

/** The registry service: answers gRPC health; its RPCs are not built yet (see the README's status table). */
@Module({})
export class RegistryModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: RegistryModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger)],
      controllers: [HealthGrpcController],
    };
  }
}
