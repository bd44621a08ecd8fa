/**
 * The artifacts service's HTTP/1.1 data plane: artifact bytes between the
 * gateway and the artifacts service, on the service's gRPC address (the
 * service tells HTTP/1.1 from HTTP/2 by the first bytes of a connection), so
 * it needs no port, route or configuration of its own and has the same reach
 * as the gRPC API. Everything else (listing, deleting, multipart
 * bookkeeping) stays gRPC.
 *
 *   GET|HEAD /v1/files/<key>[?start=&end=|?suffix_length=]
 *       200 (whole file) or 206 (range) with Content-Length, or 416 outside
 *       the file; FILE_SIZE_HEADER carries the whole file's size and
 *       OFFSET_HEADER the first byte served. A GET of a non-empty range on a
 *       store with presigned URLs (S3) answers 307 instead, with no body:
 *       Location is a short-lived presigned GET of the object, to be sent at
 *       once by the caller itself with `Range: bytes=<offset>-<offset +
 *       length - 1>`; LENGTH_HEADER and PARTIAL_HEADER say what to serve
 *       (the bytes then cross one process instead of two).
 *   PUT /v1/files/<key>           body = the file (Content-Length or chunked);
 *       Content-Type is stored; answers {"size": n}. Nothing is stored unless
 *       the whole body arrives.
 *   PUT /v1/parts/<key>?upload_id=&part_number=
 *       one multipart part (Content-Length required); answers {"etag": "..."}.
 *
 * `<key>` is the artifact key with each '/'-separated segment
 * percent-encoded; the service confines it again. A failure answers its
 * CairnError's HTTP status with ERROR_CODE_HEADER and MLflow's
 * {"error_code", "message"} body. The caller's request id travels in
 * x-request-id.
 */
export const DATA_PLANE_FILES = '/v1/files/';
export const DATA_PLANE_PARTS = '/v1/parts/';
export const FILE_SIZE_HEADER = 'x-cairn-file-size';
export const OFFSET_HEADER = 'x-cairn-offset';
export const ERROR_CODE_HEADER = 'x-cairn-error-code';
/** On a 307: the number of bytes to serve (from OFFSET_HEADER on). */
export const LENGTH_HEADER = 'x-cairn-length';
/** On a 307: '1' when they are a range of the file (served as 206), '0' for the whole file (200). */
export const PARTIAL_HEADER = 'x-cairn-partial';

/** The URL path of a key under `prefix` (DATA_PLANE_FILES or DATA_PLANE_PARTS). */
export function dataPlanePath(prefix: string, key: string): string {
  return prefix + key.split('/').map(encodeURIComponent).join('/');
}

/** The key back from a URL path (undefined when it is not under `prefix` or not valid percent-encoding). */
export function keyFromDataPlanePath(prefix: string, pathname: string): string | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  try {
    return pathname
      .slice(prefix.length)
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
  } catch {
    return undefined;
  }
}
