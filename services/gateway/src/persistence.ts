import { PersistenceOptions } from '@cairn/persistence';
import { GatewayInitial1764600000000 } from './migrations/1764600000000-gateway-initial';

/** The gateway's own schema: users, tokens, permissions, audit log, webhooks and their deliveries. */
export const gatewayPersistence: PersistenceOptions = {
  schema: 'gateway',
  entities: [],
  migrations: [GatewayInitial1764600000000],
};
