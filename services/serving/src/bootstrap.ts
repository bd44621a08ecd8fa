import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { ServingModule } from './serving.module';

/** Starts the serving service (the composition root calls this; main.ts runs it alone). */
export function bootstrapServing(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  return startGrpcService('serving', ServingModule.forRoot(config, logger), config, logger);
}
