/**
 * Message sizes of Cairn's byte streams over gRPC: reads of at least
 * MIN_CHUNK_BYTES pass through as they are (no copy; sockets give ~64 KiB,
 * files 512 KiB), smaller ones are gathered, and nothing above the protos'
 * 1 MiB goes on the wire.
 */
export const MIN_CHUNK_BYTES = 64 * 1024;
export const MAX_CHUNK_BYTES = 1024 * 1024;

/** Cuts a byte stream into messages: big reads split at MAX_CHUNK_BYTES, small ones gathered up to MIN_CHUNK_BYTES. */
export async function* chunkMessages(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const piece of source) {
    if (bytes === 0 && piece.length >= MIN_CHUNK_BYTES) {
      for (let at = 0; at < piece.length; at += MAX_CHUNK_BYTES) yield piece.subarray(at, at + MAX_CHUNK_BYTES);
      continue;
    }
    pending.push(piece);
    bytes += piece.length;
    if (bytes >= MIN_CHUNK_BYTES) {
      const joined = Buffer.concat(pending, bytes);
      for (let at = 0; at < joined.length; at += MAX_CHUNK_BYTES) yield joined.subarray(at, at + MAX_CHUNK_BYTES);
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield Buffer.concat(pending, bytes);
}
