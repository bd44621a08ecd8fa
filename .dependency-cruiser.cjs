/**
 * Layering rules, checked in CI (`npm run lint`):
 *  - no service imports another service's code (only the composition root,
 *    services/cli, may import each service's bootstrap.ts);
 *  - controllers and gRPC handlers never touch repositories or entities;
 *  - libs never import services;
 *  - generated contracts are imported through @cairn/contracts only.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cross-service-imports',
      severity: 'error',
      comment: 'Services talk over gRPC and events, never by importing each other.',
      from: { path: '^services/([^/]+)/', pathNot: '^services/cli/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'composition-root-uses-bootstrap-only',
      severity: 'error',
      from: { path: '^services/cli/' },
      to: { path: '^services/(gateway|tracking|artifacts|registry|serving)/', pathNot: '^services/[^/]+/src/bootstrap\\.ts$' },
    },
    {
      name: 'controllers-do-not-touch-repositories',
      severity: 'error',
      comment: 'Controllers validate and delegate; I/O lives in repositories behind services.',
      from: { path: '^services/[^/]+/src/(controllers|grpc)/' },
      to: { path: '^services/[^/]+/src/(repositories|entities)/' },
    },
    {
      name: 'services-layer-has-no-transport',
      severity: 'error',
      from: { path: '^services/[^/]+/src/services/' },
      to: { path: '^services/[^/]+/src/(controllers|grpc)/' },
    },
    {
      name: 'libs-do-not-import-services',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'TypeORM entities may reference each other (bidirectional relations); nothing else may.',
      from: { pathNot: '/entities/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$|\\.int-spec\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
