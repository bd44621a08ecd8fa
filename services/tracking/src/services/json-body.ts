/**
 * A rendered response body (SearchRunsResponse.json and the history
 * responses): `head`, the JSON elements `items` joined by commas, `tail`, as
 * UTF-8 bytes. Built from the small strings, never as one page-sized string:
 * V8 allocates a string of more than ~128 KB in its old generation, and one
 * per request brought a full collection every few searches.
 */
export function jsonBody(head: string, items: readonly string[], tail: string): Buffer {
  const parts: Buffer[] = [Buffer.from(head)];
  for (let i = 0; i < items.length; i++) parts.push(Buffer.from(i === 0 ? (items[i] as string) : `,${items[i] as string}`));
  parts.push(Buffer.from(tail));
  return Buffer.concat(parts);
}
