import { z } from 'zod';
import { artifacts } from '@cairn/contracts';
import { queryString, wire } from '../http/request-parsing';

/**
 * Requests of MLflow's artifact proxy (mlflow/protos/mlflow_artifacts.proto)
 * and of tracking's artifact listings (service.proto). A JSON null is an
 * absent field, as in protobuf JSON.
 */

const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);

/** `GET /mlflow-artifacts/artifacts?path=` */
export const listArtifactsQuery = z.object({ path: queryString.optional() });

/**
 * `POST /mlflow-artifacts/mpu/create/<dir>`: `path` is the client's local file
 * (its base name is the file's name under <dir>), `num_parts` how many part
 * URLs to hand out.
 */
export const createMultipartBody = z.object({
  path: z.string(),
  num_parts: wire.int32.nullish().transform((v) => v ?? 1),
});

const part = z.object({
  part_number: wire.int32,
  etag: optionalString,
  url: optionalString,
});

export const completeMultipartBody = z.object({
  path: z.string(),
  upload_id: z.string(),
  parts: z.array(part).max(10_000),
});

export const abortMultipartBody = z.object({
  path: z.string(),
  upload_id: z.string(),
});

/** The part URLs Cairn hands out when the store cannot presign. */
export const uploadPartQuery = z.object({
  upload_id: queryString,
  part_number: z.preprocess((v) => (Array.isArray(v) ? (v as unknown[])[0] : v), wire.int32),
});

/** `GET /mlflow/artifacts/list?run_id=&path=` (run_uuid is the deprecated spelling). */
export const listRunArtifactsQuery = z.object({
  run_id: queryString.optional(),
  run_uuid: queryString.optional(),
  path: queryString.optional(),
  page_token: queryString.optional(),
});

/** `GET /mlflow/logged-models/<id>/artifacts/directories?artifact_directory_path=` */
export const listLoggedModelArtifactsQuery = z.object({
  artifact_directory_path: queryString.optional(),
  page_token: queryString.optional(),
});

/** MLflow's FileInfo as JSON: directories carry no file_size. */
export interface JsonFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export function jsonFileInfo(file: artifacts.FileInfo, under: string): JsonFileInfo {
  const path = under === '' ? file.path : `${under}/${file.path}`;
  return file.is_dir ? { path, is_dir: true } : { path, is_dir: false, file_size: file.file_size ?? 0 };
}

const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/**
 * One `Range: bytes=...` range, or undefined: a missing, malformed,
 * multi-range or non-bytes header is ignored and the whole file served
 * (RFC 9110 §14.2 lets a server ignore Range).
 */
export function parseRangeHeader(header: string | string[] | undefined): artifacts.ByteRange | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  const start = first === '' ? undefined : Number(first);
  const end = last === '' ? undefined : Number(last);
  if ((start !== undefined && start > MAX_OFFSET) || (end !== undefined && end > MAX_OFFSET)) return undefined;
  if (start === undefined) return end === undefined ? undefined : { suffix_length: end };
  if (end !== undefined && end < start) return undefined;
  return end === undefined ? { start } : { start, end };
}

/** MLflow's content type for a served artifact (mlflow/utils/mime_type_utils.py). */
const TEXT_EXTENSIONS = new Set([
  'txt', 'log', 'err', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml', 'yaml', 'yml', 'xml',
  'json', 'js', 'py', 'py3', 'csv', 'tsv', 'md', 'rst', 'ipynb', 'MLmodel', 'MLproject',
]);
const KNOWN_TYPES: Record<string, string> = {
  html: 'text/html',
  htm: 'text/html',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  gz: 'application/gzip',
  zip: 'application/zip',
  tar: 'application/x-tar',
};

export function artifactContentType(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot <= 0 ? name : name.slice(dot + 1);
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  return KNOWN_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}

/** RFC 6266 attachment disposition with an ASCII fallback and the UTF-8 name. */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `attachment; filename="${name}"`;
  return `attachment; filename="${ascii || 'download'}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
