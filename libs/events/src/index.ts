export * from './transport';
export * from './outbox';
export * from './relay';
export * from './consumer';
export * from './dead-letter';
export * from './kafka';
export * from './in-process-bus';
export * from './events.module';
