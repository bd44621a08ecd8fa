import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { MLFLOW_PREFIXES } from '../http/routes';
import { IdentityService, JsonUser } from '../security/identity.service';
import { CurrentPrincipal, Principal } from '../security/principal';

type Json = Record<string, unknown>;
const one = (v: unknown): unknown => (Array.isArray(v) ? (v as unknown[])[0] : v);

/** MLflow's auth-app user API (`mlflow.server.auth.client.AuthServiceClient`), plus the current user. */
@Controller(MLFLOW_PREFIXES)
export class AuthController {
  constructor(private readonly identity: IdentityService) {}

  @Post('users/create')
  @HttpCode(200)
  async create(@Body() body: Json = {}): Promise<{ user: JsonUser }> {
    return { user: await this.identity.createUser(body.username, body.password) };
  }

  @Get('users/get')
  async get(@Query() query: Json): Promise<{ user: JsonUser }> {
    return { user: await this.identity.getUser(one(query.username)) };
  }

  @Get('users/list')
  async list(): Promise<{ users: JsonUser[] }> {
    return { users: await this.identity.listUsers() };
  }

  /** Who the caller is (Cairn): username, admin flag, groups, how it authenticated. */
  @Get('users/current')
  current(@CurrentPrincipal() principal: Principal): { user: { username: string; is_admin: boolean; groups: string[]; auth_method: string } } {
    return { user: { username: principal.username, is_admin: principal.isAdmin, groups: principal.groups, auth_method: principal.method } };
  }

  @Patch('users/update-password')
  async updatePassword(@Body() body: Json = {}): Promise<Record<string, never>> {
    await this.identity.updatePassword(body.username, body.password);
    return {};
  }

  @Patch('users/update-admin')
  async updateAdmin(@Body() body: Json = {}): Promise<Record<string, never>> {
    await this.identity.updateAdmin(body.username, body.is_admin);
    return {};
  }

  @Delete('users/delete')
  async delete(@Body() body: Json | undefined, @Query() query: Json): Promise<Record<string, never>> {
    await this.identity.deleteUser(body?.username ?? one(query.username));
    return {};
  }
}
