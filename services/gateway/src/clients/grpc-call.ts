import { Observable, firstValueFrom } from 'rxjs';
import { Metadata } from '@grpc/grpc-js';
import { fromGrpcError, outgoingMetadata, outgoingRequest, receivedResponse } from '@cairn/grpc';
import { currentRequestId } from '@cairn/observability';

/** The request and response types of a ts-proto client's unary method. */
export type RequestOf<C, K extends keyof C> = C[K] extends (request: infer R, ...rest: never[]) => unknown ? R : never;
export type ResponseOf<C, K extends keyof C> = C[K] extends (...args: never[]) => Observable<infer R> ? R : never;

/**
 * Calls a unary method of a generated gRPC client with the request id (and
 * any extra metadata) attached; failures come back as domain errors. Not
 * async itself: only `settle` waits, and it does not hold the request (which
 * goes out as an outgoingRequest, emptied once serialised).
 */
export function callUnary<C, K extends keyof C>(
  client: C,
  method: K,
  request: RequestOf<C, K>,
  extra: Record<string, string> = {},
): Promise<ResponseOf<C, K>> {
  try {
    const metadata: Metadata = outgoingMetadata(currentRequestId());
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    const fn = client[method] as unknown as (req: RequestOf<C, K>, metadata: Metadata) => Observable<unknown>;
    return settle<ResponseOf<C, K>>(firstValueFrom(fn.call(client, outgoingRequest(request), metadata)));
  } catch (err) {
    return Promise.reject(fromGrpcError(err));
  }
}

async function settle<T>(answer: Promise<unknown>): Promise<T> {
  try {
    return receivedResponse<T>(await answer);
  } catch (err) {
    throw fromGrpcError(err);
  }
}
