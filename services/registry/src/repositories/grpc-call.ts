import { Metadata } from '@grpc/grpc-js';
import { firstValueFrom, Observable, timeout, TimeoutError } from 'rxjs';
import { CairnError } from '@cairn/contracts';
import { fromGrpcError, outgoingMetadata, outgoingRequest, receivedResponse } from '@cairn/grpc';
import { currentRequestId } from '@cairn/observability';

/** Deadline of the registry's calls to tracking and artifacts. */
export const PEER_CALL_TIMEOUT_MS = 10_000;

/**
 * One unary call to another service with the request id in metadata and a
 * deadline; a failure becomes the domain error (a timeout: TEMPORARILY_UNAVAILABLE).
 */
export async function callPeer<Req, Res>(
  method: (request: Req, metadata?: Metadata) => Observable<Res>,
  request: Req,
  timeoutMs = PEER_CALL_TIMEOUT_MS,
): Promise<Res> {
  try {
    const answer = firstValueFrom(method(outgoingRequest(request), outgoingMetadata(currentRequestId())).pipe(timeout(timeoutMs)));
    return receivedResponse<Res>(await answer);
  } catch (err) {
    if (err instanceof TimeoutError) {
      throw new CairnError('TEMPORARILY_UNAVAILABLE', `no answer within ${timeoutMs} ms`);
    }
    throw fromGrpcError(err);
  }
}
