import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { IdentityService } from '../security/identity.service';

type Json = Record<string, unknown>;
type Group = { name: string; description?: string; members: string[] };

/** Cairn's groups: a user inherits its groups' grants (admins only). */
@Controller('api/2.0/cairn/groups')
export class AuthGroupsController {
  constructor(private readonly identity: IdentityService) {}

  @Post()
  @HttpCode(200)
  async create(@Body() body: Json = {}): Promise<{ group: Group }> {
    return { group: await this.identity.createGroup(body.name, body.description) };
  }

  @Get()
  async list(): Promise<{ groups: Group[] }> {
    return { groups: await this.identity.listGroups() };
  }

  @Get(':group')
  async get(@Param('group') group: string): Promise<{ group: Group }> {
    return { group: await this.identity.getGroup(group) };
  }

  @Delete(':group')
  async delete(@Param('group') group: string): Promise<Record<string, never>> {
    await this.identity.deleteGroup(group);
    return {};
  }

  @Post(':group/members')
  @HttpCode(200)
  async addMember(@Param('group') group: string, @Body() body: Json = {}): Promise<{ group: Group }> {
    await this.identity.addMember(group, body.username);
    return { group: await this.identity.getGroup(group) };
  }

  @Delete(':group/members/:username')
  async removeMember(@Param('group') group: string, @Param('username') username: string): Promise<Record<string, never>> {
    await this.identity.removeMember(group, username);
    return {};
  }
}
