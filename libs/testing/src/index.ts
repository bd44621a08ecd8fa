export * from './stack';
export * from './process';
