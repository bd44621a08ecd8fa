export * from './errors';
export * from './events';
export * from './json-body';
export * from './json-double';
export * from './metric-columns';
export * from './proto';
export * as tracking from './generated/cairn/tracking/v1/tracking';
export * as artifacts from './generated/cairn/artifacts/v1/artifacts';
export * as registry from './generated/cairn/registry/v1/registry';
export * as health from './generated/grpc/health/v1/health';

/** The MLflow release whose REST API Cairn answers as (`GET /version`). */
export const MLFLOW_COMPAT_VERSION = '3.17.2';
