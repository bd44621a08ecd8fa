import type { Readable } from 'node:stream';
import type { sendUnaryData, ServerReadableStream, ServerWritableStream } from '@grpc/grpc-js';
import { CairnError } from '@cairn/contracts';
import { chunkMessages, toGrpcError } from '@cairn/grpc';
import { Logger, REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from '@cairn/observability';

/**
 * Raw gRPC streams with real backpressure. Nest's Observable streams buffer
 * without bound, so the streaming RPCs take the grpc-js call itself:
 * client streams are read by async iteration (grpc-js reads the next message
 * from HTTP/2 only when asked, so a slow store slows the sender), and server
 * streams are written with write()/'drain'.
 */

const EMPTY = Buffer.alloc(0);

interface HeaderedMessage<H> {
  header?: H | null | undefined;
  chunk: Uint8Array;
}

/**
 * Splits a client stream into its header (first message) and its bytes. The
 * bytes fail (and nothing is committed) when the caller cancels.
 */
export async function openClientStream<H>(
  call: ServerReadableStream<HeaderedMessage<H>, unknown>,
): Promise<{ header: H; chunks: AsyncIterable<Uint8Array> }> {
  const iterator = (call as AsyncIterable<HeaderedMessage<H>>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done || first.value.header === null || first.value.header === undefined) {
    throw CairnError.invalidParameter('The stream must start with a header message');
  }
  const firstChunk = first.value.chunk;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (firstChunk.length > 0) yield firstChunk;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (next.value.header !== null && next.value.header !== undefined) {
        throw CairnError.invalidParameter('Only the first message of the stream carries a header');
      }
      yield next.value.chunk;
    }
    if (call.cancelled) throw new CairnError('ABORTED', 'The upload was cancelled');
  }
  return { header: first.value.header, chunks: chunks() };
}

/** Runs a client-streaming handler to its single answer; every failure becomes a gRPC status. */
export async function answer<T>(
  call: ServerReadableStream<unknown, T>,
  callback: sendUnaryData<T>,
  logger: Logger,
  work: () => Promise<T>,
): Promise<void> {
  const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER)[0]);
  await runWithRequestId(requestId, async () => {
    try {
      callback(null, await work());
    } catch (err) {
      if (!(err instanceof CairnError)) logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'artifact stream failed');
      const error = err instanceof CairnError ? err : CairnError.internal('Internal error');
      callback(toGrpcError(error));
      // Whatever the caller still sends is not wanted.
      call.destroy();
    }
  });
}


/**
 * Writes `first`, then the body in chunks, to a server stream: each write
 * waits for 'drain' when grpc-js says its buffer is full, so the body is read
 * only as fast as the client takes it. Stops (and destroys the body) when the
 * client cancels.
 */
export async function streamOut<H>(
  call: ServerWritableStream<unknown, HeaderedMessage<H>>,
  first: H,
  body: Readable | null,
): Promise<void> {
  let cancelled = call.cancelled;
  const onCancel = (): void => {
    cancelled = true;
    body?.destroy();
  };
  call.once('cancelled', onCancel);
  const drained = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        call.off('drain', done);
        call.off('cancelled', done);
        call.off('close', done);
        resolve();
      };
      call.on('drain', done);
      call.on('cancelled', done);
      call.on('close', done);
    });
  try {
    if (!call.write({ header: first, chunk: EMPTY })) await drained();
    if (body === null || cancelled) return;
    for await (const chunk of chunkMessages(body)) {
      if (cancelled) return;
      if (!call.write({ chunk })) await drained();
    }
  } catch (err) {
    if (cancelled) return; // the reader left; the destroyed body's error is expected
    throw err;
  } finally {
    call.off('cancelled', onCancel);
    body?.destroy();
  }
}
