import { INestMicroservice } from '@nestjs/common';
import { CairnConfig } from '@cairn/config';
import { Logger } from '@cairn/observability';
import { startGrpcService } from '@cairn/runtime';
import { TrackingModule } from './tracking.module';

export { trackingPersistence } from './persistence';

/** Starts the tracking service (the composition root calls this; main.ts runs it alone). */
export function bootstrapTracking(config: CairnConfig, logger: Logger): Promise<INestMicroservice> {
  return startGrpcService('tracking', TrackingModule.forRoot(config, logger), config, logger);
}
