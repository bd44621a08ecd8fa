export * from './grpc-server';
export * from './grpc-codecs';
export * from './grpc-errors';
export * from './grpc-context.interceptor';
export * from './health.controller';
export * from './byte-pipe';
export * from './http1-client';
export * from './artifact-data-plane';
