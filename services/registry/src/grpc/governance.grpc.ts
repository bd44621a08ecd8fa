import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { registry } from '@cairn/contracts';
import { GovernanceService } from '../services/governance.service';
import { actorOf, callActorOf } from './actor';

const SERVICE = registry.REGISTRY_SERVICE_NAME;

/** Transition requests, direct transitions with a comment, comments, activity history. */
@Controller()
export class GovernanceGrpc {
  constructor(private readonly governance: GovernanceService) {}

  @GrpcMethod(SERVICE, 'createTransitionRequest')
  async createTransitionRequest(
    request: registry.CreateTransitionRequestRequest,
    metadata: Metadata,
  ): Promise<registry.CreateTransitionRequestResponse> {
    return { request: await this.governance.createRequest(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'approveTransitionRequest')
  async approveTransitionRequest(
    request: registry.ApproveTransitionRequestRequest,
    metadata: Metadata,
  ): Promise<registry.ApproveTransitionRequestResponse> {
    return { activity: await this.governance.approve(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'rejectTransitionRequest')
  async rejectTransitionRequest(
    request: registry.RejectTransitionRequestRequest,
    metadata: Metadata,
  ): Promise<registry.RejectTransitionRequestResponse> {
    return { activity: await this.governance.reject(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'deleteTransitionRequest')
  async deleteTransitionRequest(
    request: registry.DeleteTransitionRequestRequest,
    metadata: Metadata,
  ): Promise<registry.DeleteTransitionRequestResponse> {
    return { activity: await this.governance.cancel(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'listTransitionRequests')
  async listTransitionRequests(
    request: registry.ListTransitionRequestsRequest,
    metadata: Metadata,
  ): Promise<registry.ListTransitionRequestsResponse> {
    return { requests: await this.governance.listOpen(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'transitionStage')
  async transitionStage(request: registry.TransitionStageRequest, metadata: Metadata): Promise<registry.TransitionStageResponse> {
    return { model_version_databricks: await this.governance.transitionStage(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'createComment')
  async createComment(request: registry.CreateCommentRequest, metadata: Metadata): Promise<registry.CreateCommentResponse> {
    return { comment: await this.governance.createComment(request, actorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'updateComment')
  async updateComment(request: registry.UpdateCommentRequest, metadata: Metadata): Promise<registry.UpdateCommentResponse> {
    return { comment: await this.governance.updateComment(request, callActorOf(metadata)) };
  }

  @GrpcMethod(SERVICE, 'deleteComment')
  async deleteComment(request: registry.DeleteCommentRequest, metadata: Metadata): Promise<registry.DeleteCommentResponse> {
    await this.governance.deleteComment(request, callActorOf(metadata));
    return {};
  }

  @GrpcMethod(SERVICE, 'getModelVersionActivity')
  getModelVersionActivity(
    request: registry.GetModelVersionActivityRequest,
    metadata: Metadata,
  ): Promise<registry.GetModelVersionActivityResponse> {
    return this.governance.history(request, actorOf(metadata));
  }
}
