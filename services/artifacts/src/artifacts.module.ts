import { DynamicModule, Module } from '@nestjs/common';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { HEALTH_PROBE, HealthGrpcController } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { ArtifactsGrpc } from './grpc/artifacts.grpc';
import { DATA_PLANE_SERVER, DataPlaneHandler, DataPlaneServer } from './grpc/data-plane';
import { ArtifactsService } from './services/artifacts.service';
import { ARTIFACT_STORE, ArtifactStore, createArtifactStore } from './repositories/artifact-store.repository';

@Module({})
export class ArtifactsModule {
  /** `dataPlane` receives the HTTP/1.1 connections of the gRPC address (bootstrap.ts). */
  static forRoot(config: CairnConfig, logger: Logger, dataPlane: DataPlaneServer = new DataPlaneServer()): DynamicModule {
    return {
      module: ArtifactsModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot(logger)],
      controllers: [ArtifactsGrpc, HealthGrpcController],
      providers: [
        ArtifactsService,
        DataPlaneHandler,
        { provide: DATA_PLANE_SERVER, useValue: dataPlane },
        { provide: ARTIFACT_STORE, useFactory: () => createArtifactStore(config.artifacts) },
        { provide: HEALTH_PROBE, inject: [ARTIFACT_STORE], useFactory: (store: ArtifactStore) => () => store.ping() },
      ],
    };
  }
}
