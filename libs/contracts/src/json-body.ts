/**
 * A rendered response body (the `json` bytes of search pages and metric
 * histories, which the gateway sends as they are): `head`, the JSON elements
 * `items` joined by commas, `tail`, as UTF-8 bytes. Each string is encoded once, straight into the one buffer the
 * body needs (its size counted first): never as one page-sized string (V8
 * allocates a string of more than ~128 KB in its old generation, and one per
 * request brought a full collection every few searches), nor as a copy of
 * each element with its comma and a buffer per element to concatenate.
 */
export function jsonBody(head: string, items: readonly string[], tail: string): Buffer {
  let size = Buffer.byteLength(head) + Buffer.byteLength(tail) + Math.max(items.length - 1, 0);
  for (const item of items) size += Buffer.byteLength(item);
  const body = Buffer.allocUnsafe(size);
  let at = body.write(head, 0);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) body[at++] = 0x2c; // ,
    at += body.write(items[i]!, at);
  }
  body.write(tail, at);
  return body;
}

/**
 * MLflow's page body, `{"<field>":[<items>],"next_page_token":"..."}` (see
 * jsonBody), the token left out when there is no next page (as MLflow does).
 */
export function jsonPage(field: string, items: readonly string[], nextPageToken?: string): Buffer {
  const token = nextPageToken ? `,"next_page_token":${JSON.stringify(nextPageToken)}` : '';
  return jsonBody(`{${JSON.stringify(field)}:[`, items, `]${token}}`);
}
