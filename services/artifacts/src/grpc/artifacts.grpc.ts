import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import type { Metadata, sendUnaryData, ServerReadableStream, ServerWritableStream } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { artifacts } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';
import { ArtifactsService } from '../services/artifacts.service';
import { answer, openClientStream, streamOut } from './grpc-streams';

const SERVICE = artifacts.ARTIFACTS_SERVICE_NAME;

/**
 * gRPC handlers of the artifacts service. Unary RPCs are plain @GrpcMethod;
 * the byte streams take the raw grpc-js call (see grpc-streams.ts for why).
 */
@Controller()
export class ArtifactsGrpc {
  constructor(
    private readonly artifacts: ArtifactsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @GrpcMethod(SERVICE, 'getStoreInfo')
  getStoreInfo(): artifacts.GetStoreInfoResponse {
    return this.artifacts.storeInfo();
  }

  @GrpcStreamCall(SERVICE, 'upload')
  upload(
    call: ServerReadableStream<artifacts.UploadRequest, artifacts.UploadResponse>,
    callback: sendUnaryData<artifacts.UploadResponse>,
  ): Promise<void> {
    return answer(call, callback, this.logger, async () => {
      const { header, chunks } = await openClientStream(call);
      return this.artifacts.upload(header, chunks);
    });
  }

  @GrpcMethod(SERVICE, 'download')
  download(
    request: artifacts.DownloadRequest,
    _metadata: Metadata,
    call: ServerWritableStream<artifacts.DownloadRequest, artifacts.DownloadResponse>,
  ): Observable<never> {
    // Written here with backpressure; the Observable only reports the end (Nest then ends the call) or the error.
    return new Observable<never>((subscriber) => {
      this.artifacts
        .openDownload(request)
        .then((opened) => streamOut(call, opened.header, opened.body))
        .then(
          () => subscriber.complete(),
          (err: unknown) => subscriber.error(err),
        );
    });
  }

  @GrpcMethod(SERVICE, 'listArtifacts')
  listArtifacts(request: artifacts.ListArtifactsRequest): Promise<artifacts.ListArtifactsResponse> {
    return this.artifacts.list(request.path);
  }

  @GrpcMethod(SERVICE, 'deleteArtifacts')
  deleteArtifacts(request: artifacts.DeleteArtifactsRequest): Promise<artifacts.DeleteArtifactsResponse> {
    return this.artifacts.delete(request.path);
  }

  @GrpcMethod(SERVICE, 'createMultipartUpload')
  createMultipartUpload(request: artifacts.CreateMultipartUploadRequest): Promise<artifacts.CreateMultipartUploadResponse> {
    return this.artifacts.createMultipartUpload(request);
  }

  @GrpcStreamCall(SERVICE, 'uploadPart')
  uploadPart(
    call: ServerReadableStream<artifacts.UploadPartRequest, artifacts.UploadPartResponse>,
    callback: sendUnaryData<artifacts.UploadPartResponse>,
  ): Promise<void> {
    return answer(call, callback, this.logger, async () => {
      const { header, chunks } = await openClientStream(call);
      return this.artifacts.uploadPart(header, chunks);
    });
  }

  @GrpcMethod(SERVICE, 'completeMultipartUpload')
  completeMultipartUpload(
    request: artifacts.CompleteMultipartUploadRequest,
  ): Promise<artifacts.CompleteMultipartUploadResponse> {
    return this.artifacts.completeMultipartUpload(request);
  }

  @GrpcMethod(SERVICE, 'abortMultipartUpload')
  abortMultipartUpload(request: artifacts.AbortMultipartUploadRequest): Promise<artifacts.AbortMultipartUploadResponse> {
    return this.artifacts.abortMultipartUpload(request);
  }

  @GrpcMethod(SERVICE, 'getPresignedUrl')
  getPresignedUrl(request: artifacts.GetPresignedUrlRequest): Promise<artifacts.GetPresignedUrlResponse> {
    return this.artifacts.presign(request);
  }
}
