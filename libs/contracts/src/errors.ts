import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Stable domain error codes. They are MLflow's `error_code` values, so the
 * gateway can answer MLflow clients without a translation table of its own.
 */
export const ERROR_CODES = [
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_ALREADY_EXISTS',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RESOURCE_DOES_NOT_EXIST',
  'ENDPOINT_NOT_FOUND',
  'ALREADY_EXISTS',
  'RESOURCE_CONFLICT',
  'ABORTED',
  'REQUEST_LIMIT_EXCEEDED',
  'INTERNAL_ERROR',
  'INVALID_STATE',
  'NOT_IMPLEMENTED',
  'TEMPORARILY_UNAVAILABLE',
  'DEADLINE_EXCEEDED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface CodeMapping {
  http: number;
  grpc: GrpcStatus;
}

/** The one table that maps a domain code to each transport. */
const MAPPING: Record<ErrorCode, CodeMapping> = {
  INVALID_PARAMETER_VALUE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  RESOURCE_ALREADY_EXISTS: { http: 400, grpc: GrpcStatus.ALREADY_EXISTS },
  BAD_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  PERMISSION_DENIED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  RESOURCE_DOES_NOT_EXIST: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  ENDPOINT_NOT_FOUND: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED },
  ALREADY_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  RESOURCE_CONFLICT: { http: 409, grpc: GrpcStatus.ABORTED },
  ABORTED: { http: 409, grpc: GrpcStatus.ABORTED },
  REQUEST_LIMIT_EXCEEDED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  INTERNAL_ERROR: { http: 500, grpc: GrpcStatus.INTERNAL },
  INVALID_STATE: { http: 500, grpc: GrpcStatus.FAILED_PRECONDITION },
  NOT_IMPLEMENTED: { http: 501, grpc: GrpcStatus.UNIMPLEMENTED },
  TEMPORARILY_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  DEADLINE_EXCEEDED: { http: 504, grpc: GrpcStatus.DEADLINE_EXCEEDED },
};

/** gRPC metadata key carrying the precise domain code across the wire. */
export const ERROR_CODE_METADATA_KEY = 'cairn-error-code';

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export class CairnError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CairnError';
  }

  get httpStatus(): number {
    return MAPPING[this.code].http;
  }

  get grpcStatus(): GrpcStatus {
    return MAPPING[this.code].grpc;
  }

  /** MLflow's error body. */
  toJSON(): { error_code: ErrorCode; message: string } {
    return { error_code: this.code, message: this.message };
  }

  static invalidParameter(message: string): CairnError {
    return new CairnError('INVALID_PARAMETER_VALUE', message);
  }

  static notFound(message: string): CairnError {
    return new CairnError('RESOURCE_DOES_NOT_EXIST', message);
  }

  static alreadyExists(message: string): CairnError {
    return new CairnError('RESOURCE_ALREADY_EXISTS', message);
  }

  static notImplemented(message: string): CairnError {
    return new CairnError('NOT_IMPLEMENTED', message);
  }

  static internal(message: string): CairnError {
    return new CairnError('INTERNAL_ERROR', message);
  }
}

/** The gRPC status code a gRPC client sees when the server raised no domain code. */
const FALLBACK_BY_GRPC: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_PARAMETER_VALUE',
  [GrpcStatus.NOT_FOUND]: 'RESOURCE_DOES_NOT_EXIST',
  [GrpcStatus.ALREADY_EXISTS]: 'RESOURCE_ALREADY_EXISTS',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.UNIMPLEMENTED]: 'NOT_IMPLEMENTED',
  [GrpcStatus.UNAVAILABLE]: 'TEMPORARILY_UNAVAILABLE',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'REQUEST_LIMIT_EXCEEDED',
  [GrpcStatus.ABORTED]: 'ABORTED',
};

export function errorCodeForGrpcStatus(code: GrpcStatus, metadataCode: unknown): ErrorCode {
  if (isErrorCode(metadataCode)) return metadataCode;
  return FALLBACK_BY_GRPC[code] ?? 'INTERNAL_ERROR';
}
