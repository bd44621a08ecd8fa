import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { registry } from '@cairn/contracts';
import { Actor, RegistryClient } from '../clients/registry.client';
import {
  approveTransitionRequestBody,
  createTransitionRequestBody,
  deleteTransitionRequestInput,
  listTransitionRequestsQuery,
  rejectTransitionRequestBody,
  transitionStageDatabricksBody,
} from '../dtos/registry-governance.dto';
import { deleteInput } from '../dtos/registry.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/** The managed registry's stage-transition requests and its direct transition with a comment. */
@Controller(MLFLOW_PREFIXES)
export class TransitionRequestsController {
  constructor(private readonly registry: RegistryClient) {}

  @Post('transition-requests/create')
  @HttpCode(200)
  create(@Body() body: unknown, @Actor() actor: string): Promise<registry.CreateTransitionRequestResponse> {
    return this.registry.call('createTransitionRequest', parseRequest(createTransitionRequestBody, body ?? {}), actor);
  }

  @Post('transition-requests/approve')
  @HttpCode(200)
  approve(@Body() body: unknown, @Actor() actor: string): Promise<registry.ApproveTransitionRequestResponse> {
    return this.registry.call('approveTransitionRequest', parseRequest(approveTransitionRequestBody, body ?? {}), actor);
  }

  @Post('transition-requests/reject')
  @HttpCode(200)
  reject(@Body() body: unknown, @Actor() actor: string): Promise<registry.RejectTransitionRequestResponse> {
    return this.registry.call('rejectTransitionRequest', parseRequest(rejectTransitionRequestBody, body ?? {}), actor);
  }

  /** Cancels a request (the databricks-sdk sends the fields in the query string). */
  @Delete('transition-requests/delete')
  delete(@Query() query: unknown, @Body() body: unknown, @Actor() actor: string): Promise<registry.DeleteTransitionRequestResponse> {
    return this.registry.call('deleteTransitionRequest', parseRequest(deleteTransitionRequestInput, deleteInput(query, body)), actor);
  }

  @Get('transition-requests/list')
  list(@Query() query: unknown, @Actor() actor: string): Promise<registry.ListTransitionRequestsResponse> {
    return this.registry.call('listTransitionRequests', parseRequest(listTransitionRequestsQuery, query), actor);
  }

  @Post('databricks/model-versions/transition-stage')
  @HttpCode(200)
  transitionStage(@Body() body: unknown, @Actor() actor: string): Promise<registry.TransitionStageResponse> {
    return this.registry.call('transitionStage', parseRequest(transitionStageDatabricksBody, body ?? {}), actor);
  }
}
