import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { MLFLOW_PREFIXES } from '../http/routes';
import { CurrentPrincipal, Principal } from '../security/principal';
import { WebhooksService } from '../webhooks/webhooks.service';

type Json = Record<string, unknown>;
const one = (v: unknown): unknown => (Array.isArray(v) ? (v as unknown[])[0] : v);

/** MLflow's webhooks (entity.action events, X-MLflow-Signature). */
@Controller(MLFLOW_PREFIXES)
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('webhooks')
  @HttpCode(200)
  create(@Body() body: Json = {}, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.createMlflow(body, caller);
  }

  @Get('webhooks')
  list(@Query() query: Json) {
    return this.webhooks.listMlflow(query);
  }

  @Get('webhooks/:webhook_id')
  get(@Param('webhook_id') id: string) {
    return this.webhooks.getMlflow(id);
  }

  @Patch('webhooks/:webhook_id')
  update(@Param('webhook_id') id: string, @Body() body: Json = {}) {
    return this.webhooks.updateMlflow(id, body);
  }

  @Delete('webhooks/:webhook_id')
  delete(@Param('webhook_id') id: string) {
    return this.webhooks.deleteMlflow(id);
  }

  @Post('webhooks/:webhook_id/test')
  @HttpCode(200)
  test(@Param('webhook_id') id: string, @Body() body: Json = {}) {
    return this.webhooks.testMlflow(id, body ?? {});
  }
}

/** The managed registry's webhooks (its event names, X-Databricks-Signature, TEST_MODE). */
@Controller(MLFLOW_PREFIXES)
export class RegistryWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('registry-webhooks/create')
  @HttpCode(200)
  create(@Body() body: Json = {}, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.createRegistry(body, caller);
  }

  @Patch('registry-webhooks/update')
  update(@Body() body: Json = {}, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.updateRegistry(body, caller);
  }

  @Get('registry-webhooks/list')
  list(@Query() query: Json, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.listRegistry(query, caller);
  }

  @Delete('registry-webhooks/delete')
  delete(@Query() query: Json, @Body() body: Json | undefined, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.deleteRegistry(one(query.id) ?? body?.id, caller);
  }

  @Post('registry-webhooks/test')
  @HttpCode(200)
  test(@Body() body: Json = {}, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.testRegistry(body, caller);
  }
}

/** Cairn: each webhook's delivery log (every attempt), and redelivery on request. */
@Controller('api/2.0/cairn/webhooks')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get(':webhook_id/deliveries')
  list(@Param('webhook_id') id: string, @Query() query: Json, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.deliveries(id, query, caller);
  }

  @Post('deliveries/:delivery_id/redeliver')
  @HttpCode(200)
  redeliver(@Param('delivery_id') id: string, @CurrentPrincipal() caller: Principal) {
    return this.webhooks.redeliver(id, caller);
  }
}
