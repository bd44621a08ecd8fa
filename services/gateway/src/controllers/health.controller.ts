import { Controller, Get, Header } from '@nestjs/common';
import { MLFLOW_COMPAT_VERSION } from '@cairn/contracts';
import { metricsRegistry } from '@cairn/observability';

@Controller()
export class HealthController {
  /** As MLflow answers: 200 `OK`. */
  @Get('health')
  @Header('content-type', 'text/plain; charset=utf-8')
  health(): string {
    return 'OK';
  }

  /** The MLflow version whose API this server speaks (the 3.x client reads it). */
  @Get('version')
  @Header('content-type', 'text/plain; charset=utf-8')
  version(): string {
    return MLFLOW_COMPAT_VERSION;
  }

  @Get('metrics')
  @Header('content-type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
