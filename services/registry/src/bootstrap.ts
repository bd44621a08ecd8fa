import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { RegistryModule } from './registry.module';

export { registryPersistence } from './persistence';

/** Starts the registry service (the composition root calls this; main.ts runs it alone). */
export function bootstrapRegistry(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  return startGrpcService('registry', RegistryModule.forRoot(config, logger), config, logger);
}
