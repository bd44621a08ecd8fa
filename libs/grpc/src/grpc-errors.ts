import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { Metadata, ServiceError } from '@grpc/grpc-js';
import { Observable, throwError } from 'rxjs';
import { CairnError, ERROR_CODE_METADATA_KEY, errorCodeForGrpcStatus } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';

interface GrpcErrorPayload {
  code: number;
  details: string;
  metadata: Metadata;
}

/** Turns a domain error into a gRPC status, with the precise code in metadata. */
export function toGrpcError(error: CairnError): GrpcErrorPayload {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA_KEY, error.code);
  return { code: error.grpcStatus, details: error.message, metadata };
}

/** The one mapping from a gRPC failure back to a domain error (gateway side). */
export function fromGrpcError(err: unknown): CairnError {
  if (err instanceof CairnError) return err;
  const e = err as Partial<ServiceError>;
  if (typeof e.code === 'number') {
    const metaCode = e.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
    const code = errorCodeForGrpcStatus(e.code, typeof metaCode === 'string' ? metaCode : undefined);
    return new CairnError(code, e.details ?? e.message ?? 'gRPC call failed');
  }
  return CairnError.internal(err instanceof Error ? err.message : String(err));
}

/** Every gRPC handler's failures leave through here: domain errors keep their code, the rest are INTERNAL_ERROR. */
@Catch()
export class GrpcExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof CairnError) return throwError(() => toGrpcError(exception));
    this.logger.error({ err: exception instanceof Error ? exception.stack : String(exception) }, 'unhandled gRPC error');
    return throwError(() => toGrpcError(CairnError.internal('Internal error')));
  }
}
