export * from './stack';
export * from './process';
export * from './cairn';
export * from './errors';
export * from './run-search-equivalence';
