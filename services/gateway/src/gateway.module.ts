import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ClientProxyFactory } from '@nestjs/microservices';
import { CairnConfig, ConfigModule } from '@cairn/config';
import { grpcClientOptions } from '@cairn/grpc';
import { Logger, ObservabilityModule } from '@cairn/observability';
import { ArtifactsClient } from './clients/artifacts.client';
import { RegistryModelUriResolver } from './clients/model-uri.resolver';
import { REGISTRY_GRPC, RegistryClient } from './clients/registry.client';
import { TRACKING_GRPC, TrackingClient } from './clients/tracking.client';
import { ArtifactsController, RunArtifactsController } from './controllers/artifacts.controller';
import { ExperimentsController } from './controllers/experiments.controller';
import { HealthController } from './controllers/health.controller';
import { ServerInfoController } from './controllers/server-info.controller';
import { MetricsController } from './controllers/metrics.controller';
import { RunsController } from './controllers/runs.controller';
import { LoggedModelsController } from './controllers/logged-models.controller';
import { CommentsController } from './controllers/comments.controller';
import { RegistryModelsController } from './controllers/registry-models.controller';
import { RegistryVersionsController } from './controllers/registry-versions.controller';
import { TransitionRequestsController } from './controllers/transition-requests.controller';
import { MlflowExceptionFilter } from './filters/mlflow-exception.filter';
import { PersistenceModule } from '@cairn/persistence';
import { gatewayPersistence } from './persistence';
import { AuditController } from './controllers/audit.controller';
import { AuthController } from './controllers/auth.controller';
import { AuthGroupsController } from './controllers/auth-groups.controller';
import { PermissionsController } from './controllers/permissions.controller';
import { PermissionsManagedController } from './controllers/permissions-managed.controller';
import { TokensController } from './controllers/tokens.controller';
import { RegistryWebhooksController, WebhookDeliveriesController, WebhooksController } from './controllers/webhooks.controller';
import { AuditService } from './audit/audit.service';
import { AuditRepository } from './repositories/audit.repository';
import { IdentityRepository } from './repositories/identity.repository';
import { PermissionsRepository } from './repositories/permissions.repository';
import { WebhooksRepository } from './repositories/webhooks.repository';
import { Authenticator } from './security/authenticator';
import { Authorizer } from './security/authorizer';
import { IdentityService } from './security/identity.service';
import { PermissionsService } from './security/permissions.service';
import { RateLimiter } from './security/rate-limiter';
import { SecurityGate } from './security/security.gate';
import { DeliveryService } from './webhooks/delivery.service';
import { WebhookEventSubscription } from './webhooks/event-subscription';
import { SECRET_BOX, secretBoxFor } from './webhooks/secret-box.provider';
import { WebhooksService } from './webhooks/webhooks.service';
import { ArtifactProxyService } from './services/artifact-proxy.service';
import { ArtifactUriResolver, MODEL_URI_RESOLVER } from './services/artifact-uris.service';

@Module({})
export class GatewayModule {
  static forRoot(config: CairnConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger),
        PersistenceModule.forService(config.database, gatewayPersistence, logger),
      ],
      controllers: [HealthController, ServerInfoController, ExperimentsController, RunsController, MetricsController, LoggedModelsController, ArtifactsController, RunArtifactsController, RegistryModelsController, RegistryVersionsController, TransitionRequestsController, CommentsController,
        AuthController, AuthGroupsController, TokensController, PermissionsController, PermissionsManagedController, AuditController,
        WebhooksController, RegistryWebhooksController, WebhookDeliveriesController],
      providers: [
        {
          provide: TRACKING_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('tracking', config.grpcUrls.tracking)),
        },
        TrackingClient,
        {
          provide: REGISTRY_GRPC,
          useFactory: () => ClientProxyFactory.create(grpcClientOptions('registry', config.grpcUrls.registry)),
        },
        RegistryClient,
        { provide: MODEL_URI_RESOLVER, useClass: RegistryModelUriResolver },
        ArtifactsClient,
        ArtifactUriResolver,
        ArtifactProxyService,
        { provide: APP_FILTER, useClass: MlflowExceptionFilter },
        // Security (authn, RBAC, audit, rate limits) and webhooks: services/gateway/src/{security,audit,webhooks}.
        IdentityRepository,
        PermissionsRepository,
        AuditRepository,
        WebhooksRepository,
        Authenticator,
        IdentityService,
        PermissionsService,
        Authorizer,
        RateLimiter,
        AuditService,
        SecurityGate,
        { provide: SECRET_BOX, useFactory: () => secretBoxFor(config) },
        DeliveryService,
        WebhooksService,
        WebhookEventSubscription,
      ],
    };
  }
}
