export * from './pglite-driver';
export * from './data-source';
export * from './persistence.module';
export * from './pg-array';
export * from './errors';
export { namedStatement, preparedStatement } from './pg-client';
export { sqlJson, sqlOptionalField } from './sql-json';
