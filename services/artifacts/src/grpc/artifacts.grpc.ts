import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { artifacts } from '@cairn/contracts';
import { ArtifactsService } from '../services/artifacts.service';

const SERVICE = artifacts.ARTIFACTS_SERVICE_NAME;

/**
 * gRPC handlers of the artifacts service: everything but the bytes, which
 * travel over the HTTP/1.1 data plane on the same address (data-plane.ts).
 */
@Controller()
export class ArtifactsGrpc {
  constructor(private readonly artifacts: ArtifactsService) {}

  @GrpcMethod(SERVICE, 'getStoreInfo')
  getStoreInfo(): artifacts.GetStoreInfoResponse {
    return this.artifacts.storeInfo();
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
