import { CairnError } from '@cairn/contracts';

/** Top-level name the filesystem store keeps its staging area under; no artifact may use it. */
export const RESERVED_TOP_LEVEL = '.cairn';

/** Longest key accepted (S3 allows 1024 bytes; keep room for nothing else). */
export const MAX_KEY_BYTES = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(path: string, why: string): CairnError {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}...` : path);
  return CairnError.invalidParameter(`Invalid path ${shown}: ${why}`);
}

/**
 * The storage key of an artifact path, confined to the store root: '/'
 * separated, relative, no '.' or empty segments, never '..', no backslash,
 * no NUL or other control byte, not under the reserved top-level name. The
 * path arrives already URL-decoded (the gateway decodes it); nothing here
 * decodes again, so a '%' in a key is a literal '%'.
 *
 * Returns '' for the root when `allowRoot` is set; otherwise the root is
 * INVALID_PARAMETER_VALUE.
 */
export function normalizeKey(path: string, options: { allowRoot?: boolean } = {}): string {
  if (CONTROL.test(path)) throw invalid(path, 'control characters (including NUL) are not allowed');
  if (path.includes('\\')) throw invalid(path, "backslashes are not allowed; use '/' as the separator");
  if (path.startsWith('/')) throw invalid(path, 'absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(path)) throw invalid(path, 'drive-letter paths are not allowed');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw invalid(path, "'..' is not allowed");
  if (segments[0] === RESERVED_TOP_LEVEL) throw invalid(path, `'${RESERVED_TOP_LEVEL}' is reserved`);
  const key = segments.join('/');
  if (key === '' && !options.allowRoot) throw invalid(path, 'a file or directory path is required');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw invalid(path, `longer than ${MAX_KEY_BYTES} bytes`);
  return key;
}
