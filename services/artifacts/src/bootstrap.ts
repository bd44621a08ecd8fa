import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { ArtifactsModule } from './artifacts.module';
import { DataPlaneServer } from './grpc/data-plane';
import { withGrpcPort } from './grpc/grpc-port';

/** Starts the artifacts service (the composition root calls this; main.ts runs it alone). */
export function bootstrapArtifacts(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  // One address serves gRPC and the HTTP/1.1 data plane that carries artifact bytes (grpc-port.ts).
  const dataPlane = new DataPlaneServer();
  return withGrpcPort({ http1: (socket) => dataPlane.accept(socket) }, () =>
    startGrpcService('artifacts', ArtifactsModule.forRoot(config, logger, dataPlane), config, logger),
  );
}
