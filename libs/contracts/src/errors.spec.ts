import { status } from '@grpc/grpc-js';
import { CairnError, ERROR_CODES, errorCodeForGrpcStatus } from './errors';

describe('CairnError', () => {
  it.each([
    ['INVALID_PARAMETER_VALUE', 400, status.INVALID_ARGUMENT],
    ['RESOURCE_ALREADY_EXISTS', 400, status.ALREADY_EXISTS],
    ['RESOURCE_DOES_NOT_EXIST', 404, status.NOT_FOUND],
    ['PERMISSION_DENIED', 403, status.PERMISSION_DENIED],
    ['REQUEST_LIMIT_EXCEEDED', 429, status.RESOURCE_EXHAUSTED],
    ['NOT_IMPLEMENTED', 501, status.UNIMPLEMENTED],
    ['TEMPORARILY_UNAVAILABLE', 503, status.UNAVAILABLE],
  ] as const)('%s is HTTP %i and gRPC %i', (code, http, grpc) => {
    const error = new CairnError(code, 'm');
    expect(error.httpStatus).toBe(http);
    expect(error.grpcStatus).toBe(grpc);
    expect(error.toJSON()).toEqual({ error_code: code, message: 'm' });
  });

  it('round-trips every code through gRPC when the code travels in metadata', () => {
    for (const code of ERROR_CODES) {
      const error = new CairnError(code, 'x');
      expect(errorCodeForGrpcStatus(error.grpcStatus, code)).toBe(code);
    }
  });

  it('falls back on the gRPC status when no domain code came along', () => {
    expect(errorCodeForGrpcStatus(status.NOT_FOUND, undefined)).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(errorCodeForGrpcStatus(status.UNAVAILABLE, 'bogus')).toBe('TEMPORARILY_UNAVAILABLE');
    expect(errorCodeForGrpcStatus(status.DATA_LOSS, undefined)).toBe('INTERNAL_ERROR');
  });
});
