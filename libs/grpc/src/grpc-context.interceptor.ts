import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { grpcRequestDuration, REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '@cairn/observability';

/** Runs each gRPC handler inside the caller's request id, and times it. */
@Injectable()
export class GrpcContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metadata = context.switchToRpc().getContext<Metadata | undefined>();
    const requestId = requestIdFrom(metadata?.get?.(REQUEST_ID_HEADER)?.[0]);
    const labels = { service: context.getClass().name, method: context.getHandler().name };
    return new Observable((subscriber) => {
      const end = grpcRequestDuration.startTimer(labels);
      return runWithRequestId(requestId, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (err: unknown) => {
            end({ code: 'error' });
            subscriber.error(err);
          },
          complete: () => {
            end({ code: 'ok' });
            subscriber.complete();
          },
        }),
      );
    });
  }
}

/** Metadata for an outgoing call, carrying the current request id. */
export function outgoingMetadata(requestId: string | undefined): Metadata {
  const metadata = new Metadata();
  if (requestId !== undefined) metadata.set(REQUEST_ID_HEADER, requestId);
  return metadata;
}
