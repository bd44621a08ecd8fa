export * from './pglite-driver';
export * from './data-source';
export * from './persistence.module';
