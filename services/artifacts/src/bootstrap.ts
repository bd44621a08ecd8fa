import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { ArtifactsModule } from './artifacts.module';

/** Starts the artifacts service (the composition root calls this; main.ts runs it alone). */
export function bootstrapArtifacts(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  return startGrpcService('artifacts', ArtifactsModule.forRoot(config, logger), config, logger);
}
