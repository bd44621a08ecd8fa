/** The content type of a rendered response body (the route's `@Header`). */
export const RENDERED_JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A response body a service rendered (a message's `json` bytes: search pages
 * and metric histories) as the Buffer Fastify sends unchanged: a view of the
 * same bytes, no copy. Its route declares the JSON content type.
 */
export function renderedJson(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
