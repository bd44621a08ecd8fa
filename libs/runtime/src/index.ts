export * from './service-app';
export * from './process';
