/**
 * ListObjectsV2 responses, read without the minio client's parser: that one
 * always URL-decodes keys (turning '+' into ' ' and failing on a lone '%')
 * even when the server did not encode them, as versitygw does not. Here keys
 * are decoded only when the response says `<EncodingType>url</EncodingType>`.
 */
export interface ListPage {
  keys: { key: string; size: number }[];
  prefixes: string[];
  nextToken: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function xmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? '';
  });
}

function tag(block: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(block);
  return match ? xmlText(match[1] ?? '') : undefined;
}

function blocks(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1] ?? '');
}

export function parseListObjectsV2(xml: string): ListPage {
  const urlEncoded = tag(xml, 'EncodingType')?.trim().toLowerCase() === 'url';
  const decode = (value: string): string => {
    if (!urlEncoded) return value;
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  };
  const keys = blocks(xml, 'Contents').map((b) => ({ key: decode(tag(b, 'Key') ?? ''), size: Number(tag(b, 'Size') ?? 0) }));
  const prefixes = blocks(xml, 'CommonPrefixes').map((b) => decode(tag(b, 'Prefix') ?? ''));
  const truncated = tag(xml, 'IsTruncated')?.trim() === 'true';
  const nextToken = truncated ? tag(xml, 'NextContinuationToken') : undefined;
  return { keys, prefixes, nextToken: nextToken === '' ? undefined : nextToken };
}

/** RFC 3986 encoding, as SigV4 canonical query strings need it. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
