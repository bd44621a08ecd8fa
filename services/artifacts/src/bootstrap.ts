import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { ArtifactsModule } from './artifacts.module';
import { RECEIVE_WINDOW_BYTES, withReceiveWindow } from './grpc/receive-window';

/** Starts the artifacts service (the composition root calls this; main.ts runs it alone). */
export function bootstrapArtifacts(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  // Uploads stream in through gRPC: give its HTTP/2 server a receive window that keeps bytes flowing (receive-window.ts).
  return withReceiveWindow(RECEIVE_WINDOW_BYTES, () => startGrpcService('artifacts', ArtifactsModule.forRoot(config, logger), config, logger));
}
