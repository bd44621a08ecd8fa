import { Observable, firstValueFrom } from 'rxjs';
import { Metadata } from '@grpc/grpc-js';
import { fromGrpcError, outgoingMetadata } from '@cairn/grpc';
import { currentRequestId } from '@cairn/observability';

/** Calls a unary gRPC method with the request id in metadata; failures become domain errors. */
export async function unary<Req, Res>(
  method: (request: Req, metadata?: Metadata) => Observable<Res>,
  request: Req,
): Promise<Res> {
  try {
    return await firstValueFrom(method(request, outgoingMetadata(currentRequestId())));
  } catch (err) {
    throw fromGrpcError(err);
  }
}
