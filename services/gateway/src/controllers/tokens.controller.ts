import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IdentityService, JsonToken } from '../security/identity.service';
import { CurrentPrincipal, Principal } from '../security/principal';

type Json = Record<string, unknown>;

/**
 * API tokens for MLFLOW_TRACKING_TOKEN (Bearer): created (shown once),
 * listed and revoked; stored as SHA-256 hashes, with an optional expiry.
 */
@Controller('api/2.0/cairn/tokens')
export class TokensController {
  constructor(private readonly identity: IdentityService) {}

  @Post()
  @HttpCode(200)
  create(@Body() body: Json = {}, @CurrentPrincipal() caller: Principal): Promise<{ token: string; token_info: JsonToken }> {
    return this.identity.createToken(caller, body);
  }

  @Get()
  async list(@Query() query: Json, @CurrentPrincipal() caller: Principal): Promise<{ tokens: JsonToken[] }> {
    const username = typeof query.username === 'string' && query.username !== '' ? query.username : undefined;
    return { tokens: await this.identity.listTokens(caller, username) };
  }

  @Delete(':token_id')
  async revoke(@Param('token_id') id: string, @CurrentPrincipal() caller: Principal): Promise<Record<string, never>> {
    await this.identity.revokeToken(caller, id);
    return {};
  }
}
