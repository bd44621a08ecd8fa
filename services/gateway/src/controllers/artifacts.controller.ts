import type { OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CairnError } from '@cairn/contracts';
import { ArtifactsClient, OpenDownload } from '../clients/artifacts.client';
import {
  abortMultipartBody,
  artifactContentType,
  attachmentDisposition,
  completeMultipartBody,
  createMultipartBody,
  JsonFileInfo,
  listArtifactsQuery,
  listLoggedModelArtifactsQuery,
  listRunArtifactsQuery,
  parseRangeHeader,
  uploadPartQuery,
} from '../dtos/artifacts.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';
import { ARTIFACT_PROXY_PREFIXES, ARTIFACT_ROUTES, normalizeArtifactPath, pathAfter } from '../services/artifact-paths';
import { ArtifactProxyService, JsonMultipartUpload } from '../services/artifact-proxy.service';

const { files: FILES, mpuCreate: MPU_CREATE, mpuComplete: MPU_COMPLETE, mpuAbort: MPU_ABORT, mpuPart: MPU_PART, presigned: PRESIGNED } =
  ARTIFACT_ROUTES;

/**
 * The routes whose PUT body is the artifact itself, of any content type,
 * streamed (bootstrap.ts hands them the raw request; every other route keeps
 * taking JSON only).
 */
export const STREAMED_UPLOAD_ROUTES: ReadonlySet<string> = new Set(
  ARTIFACT_PROXY_PREFIXES.flatMap((p) => [`PUT /${p}/artifacts/*`, `PUT /${p}/mpu/upload-part/*`]),
);

function declaredLength(request: FastifyRequest): number | undefined {
  const raw = request.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new CairnError('BAD_REQUEST', `Invalid Content-Length '${raw}'`);
  return n;
}

/** The body to stream: what the content-type parser handed over, or the raw request when no parser ran. */
function bodyStream(request: FastifyRequest): Readable {
  const body = request.body as { pipe?: unknown } | undefined;
  return body && typeof body.pipe === 'function' ? (body as unknown as Readable) : request.raw;
}

/** `api/2.0/mlflow-artifacts` or `ajax-api/2.0/mlflow-artifacts`, as the request came. */
function prefixOf(request: FastifyRequest): string {
  return request.raw.url?.startsWith('/ajax-api/') ? ARTIFACT_PROXY_PREFIXES[1]! : ARTIFACT_PROXY_PREFIXES[0]!;
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/**
 * MLflow's artifact proxy (`--serve-artifacts`), under /api/2.0 and
 * /ajax-api/2.0: download (Range, HEAD), upload (streamed), list, delete,
 * multipart upload and presigned downloads. Paths come from the raw URL and
 * go through normalizeArtifactPath; artifactRequestTarget() (artifact-paths.ts)
 * maps any of these requests, before it runs, to the key and the
 * experiment/run/logged model it touches (for the permission checks).
 */
@Controller(ARTIFACT_PROXY_PREFIXES)
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsClient,
    private readonly proxy: ArtifactProxyService,
  ) {}

  @Get('artifacts')
  list(@Query() query: unknown): Promise<{ files: JsonFileInfo[] }> {
    const { path } = parseRequest(listArtifactsQuery, query);
    return this.proxy.list(normalizeArtifactPath(path ?? '', { allowRoot: true }));
  }

  /** The file, whole (200) or one byte range (206; 416 outside the file), with its length; HEAD sends the headers only. */
  @Get('artifacts/*')
  async download(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const key = normalizeArtifactPath(pathAfter(request.raw.url ?? '', FILES));
    const range = parseRangeHeader(request.headers.range);
    const headOnly = request.method === 'HEAD';
    const opened = await this.artifacts.download({ path: key, ...(range ? { range } : {}) }, headOnly);
    try {
      await this.sendFile(key, opened, headOnly, reply);
    } catch (err) {
      opened.body.destroy();
      throw err;
    }
  }

  private async sendFile(key: string, { header, body }: OpenDownload, headOnly: boolean, reply: FastifyReply): Promise<void> {
    const name = key.slice(key.lastIndexOf('/') + 1);
    void reply.header('accept-ranges', 'bytes').header('cache-control', 'no-cache');
    if (!header.range_satisfiable) {
      body.destroy();
      void reply.code(416).header('content-range', `bytes */${header.file_size}`).send();
      return;
    }
    void reply
      .code(header.partial ? 206 : 200)
      .header('content-type', artifactContentType(name))
      .header('content-length', String(header.length))
      .header('content-disposition', attachmentDisposition(name))
      .header('x-content-type-options', 'nosniff');
    if (header.partial) void reply.header('content-range', `bytes ${header.offset}-${header.offset + header.length - 1}/${header.file_size}`);
    if (headOnly) {
      // Fastify's HEAD route drains a stream payload and keeps our Content-Length: give it an empty one.
      body.destroy();
      void reply.send(Readable.from([]));
      return;
    }
    // The bytes go straight onto the client's connection in the data plane's reused buffers (Fastify's
    // stream path would pipe them through another stream). onResponse hooks still run when it finishes.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    try {
      await body.pipeTo(res);
    } catch {
      // The artifacts service or the client went away mid-file: cut the response short so the client knows.
      res.destroy();
      return;
    }
    res.end();
  }

  /** The raw body becomes the file, streamed; it appears only once complete. */
  @Put('artifacts/*')
  async upload(@Req() request: FastifyRequest): Promise<Record<string, never>> {
    const key = normalizeArtifactPath(pathAfter(request.raw.url ?? '', FILES));
    const name = key.slice(key.lastIndexOf('/') + 1);
    await this.artifacts.upload(
      { path: key, content_length: declaredLength(request), content_type: artifactContentType(name) },
      bodyStream(request),
    );
    return {};
  }

  /** A file, or a directory with everything under it. */
  @Delete('artifacts/*')
  async delete(@Req() request: FastifyRequest): Promise<Record<string, never>> {
    const key = normalizeArtifactPath(pathAfter(request.raw.url ?? '', FILES));
    await this.artifacts.call('deleteArtifacts', { path: key });
    return {};
  }

  @Post('mpu/create/*')
  @HttpCode(200)
  createMultipart(@Req() request: FastifyRequest, @Body() body: unknown): Promise<JsonMultipartUpload> {
    const dir = normalizeArtifactPath(pathAfter(request.raw.url ?? '', MPU_CREATE));
    const { path, num_parts } = parseRequest(createMultipartBody, body ?? {});
    const origin = `${request.protocol}://${request.host}`;
    const prefix = prefixOf(request);
    // The MLflow client PUTs each part with the credential's headers only: hand it the caller's own credentials.
    const auth = request.headers.authorization;
    return this.proxy.createMultipart(
      dir,
      path,
      num_parts,
      (key, uploadId, n) =>
        `${origin}/${prefix}/mpu/upload-part/${encodeKey(key)}?upload_id=${encodeURIComponent(uploadId)}&part_number=${n}`,
      auth ? { Authorization: auth } : {},
    );
  }

  /**
   * One part, for stores that cannot presign (the filesystem). Not an MLflow
   * route: its URLs come from mpu/create. The upload_id (random, bound to the
   * file's path by the artifacts service) names the upload.
   */
  @Put('mpu/upload-part/*')
  async uploadPart(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, never>> {
    const key = normalizeArtifactPath(pathAfter(request.raw.url ?? '', MPU_PART));
    const query = parseRequest(uploadPartQuery, request.query ?? {});
    const { etag } = await this.artifacts.uploadPart(
      { path: key, upload_id: query.upload_id, part_number: query.part_number, content_length: declaredLength(request) },
      bodyStream(request),
    );
    void reply.header('etag', etag);
    return {};
  }

  @Post('mpu/complete/*')
  @HttpCode(200)
  completeMultipart(@Req() request: FastifyRequest, @Body() body: unknown): Promise<Record<string, never>> {
    const dir = normalizeArtifactPath(pathAfter(request.raw.url ?? '', MPU_COMPLETE));
    const { path, upload_id, parts } = parseRequest(completeMultipartBody, body ?? {});
    return this.proxy.completeMultipart(dir, path, upload_id, parts);
  }

  @Post('mpu/abort/*')
  @HttpCode(200)
  abortMultipart(@Req() request: FastifyRequest, @Body() body: unknown): Promise<Record<string, never>> {
    const dir = normalizeArtifactPath(pathAfter(request.raw.url ?? '', MPU_ABORT));
    const { path, upload_id } = parseRequest(abortMultipartBody, body ?? {});
    return this.proxy.abortMultipart(dir, path, upload_id);
  }

  /** A presigned URL straight to the store (S3); 501 where there is none, and the client then downloads through the proxy. */
  @Get('presigned/*')
  async presigned(@Req() request: FastifyRequest): Promise<{ url: string; headers: Record<string, string>; file_size?: number }> {
    const key = normalizeArtifactPath(pathAfter(request.raw.url ?? '', PRESIGNED));
    const signed = await this.artifacts.call('getPresignedUrl', { path: key, method: 'GET', expires_in_seconds: 0 });
    return { url: signed.url, headers: signed.headers, ...(signed.file_size !== undefined ? { file_size: signed.file_size } : {}) };
  }
}

/** Tracking's artifact listings: a run's (`artifacts/list`) and a logged model's. */
@Controller(MLFLOW_PREFIXES)
export class RunArtifactsController {
  constructor(private readonly proxy: ArtifactProxyService) {}

  @Get('artifacts/list')
  listRun(@Query() query: unknown): Promise<{ root_uri: string; files: JsonFileInfo[] }> {
    const request = parseRequest(listRunArtifactsQuery, query);
    const runId = request.run_id || request.run_uuid;
    if (!runId) throw CairnError.invalidParameter("Missing value for required parameter 'run_id'.");
    return this.proxy.listRun(runId, request.path);
  }

  @Get('logged-models/:model_id/artifacts/directories')
  listLoggedModel(@Param('model_id') modelId: string, @Query() query: unknown): Promise<{ root_uri: string; files: JsonFileInfo[] }> {
    const request = parseRequest(listLoggedModelArtifactsQuery, query);
    return this.proxy.listLoggedModel(modelId, request.artifact_directory_path);
  }
}
