import { Body, Controller, Delete, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { registry } from '@cairn/contracts';
import { Actor, RegistryClient } from '../clients/registry.client';
import { CurrentPrincipal, Principal } from '../security/principal';
import { commentIdInput, createCommentBody, updateCommentBody } from '../dtos/registry-governance.dto';
import { deleteInput } from '../dtos/registry.dto';
import { parseRequest } from '../http/request-parsing';
import { MLFLOW_PREFIXES } from '../http/routes';

/** The managed registry's comments on model versions. */
@Controller(MLFLOW_PREFIXES)
export class CommentsController {
  constructor(private readonly registry: RegistryClient) {}

  @Post('comments/create')
  @HttpCode(200)
  create(@Body() body: unknown, @Actor() actor: string): Promise<registry.CreateCommentResponse> {
    return this.registry.call('createComment', parseRequest(createCommentBody, body ?? {}), actor);
  }

  /** Only the author (or an administrator) may edit a comment: the registry checks it. */
  @Patch('comments/update')
  update(@Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<registry.UpdateCommentResponse> {
    return this.registry.call('updateComment', parseRequest(updateCommentBody, body ?? {}), who.username, {
      admin: who.isAdmin,
    });
  }

  @Delete('comments/delete')
  delete(@Query() query: unknown, @Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<registry.DeleteCommentResponse> {
    return this.registry.call('deleteComment', parseRequest(commentIdInput, deleteInput(query, body)), who.username, {
      admin: who.isAdmin,
    });
  }
}
