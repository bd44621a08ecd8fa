import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `proto/` folder that ships with Cairn; found by walking up from this file (src or dist). */
export const PROTO_ROOT: string = (() => {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, 'cairn'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`proto/ not found above ${__dirname}`);
    dir = parent;
  }
})();

export interface GrpcPackage {
  readonly packages: readonly string[];
  readonly files: readonly string[];
}

/** The standard health service every gRPC service serves. */
export const HEALTH_PACKAGE: GrpcPackage = { packages: ['grpc.health.v1'], files: ['grpc/health/v1/health.proto'] };

/** Each service's own gRPC packages and their proto files (empty: health only, no RPCs built yet). */
export const GRPC_PACKAGES = {
  tracking: { packages: ['cairn.tracking.v1'], files: ['cairn/tracking/v1/tracking.proto'] },
  artifacts: { packages: ['cairn.artifacts.v1'], files: ['cairn/artifacts/v1/artifacts.proto'] },
  registry: { packages: ['cairn.registry.v1'], files: ['cairn/registry/v1/registry.proto'] },
  serving: { packages: [], files: [] },
} as const satisfies Record<string, GrpcPackage>;

/** proto-loader options matching the generated types (snake_case, int64 as number, enums by name). */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: false,
  includeDirs: [PROTO_ROOT],
};
