import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { MLFLOW_PREFIXES } from '../http/routes';
import { PermissionsService } from '../security/permissions.service';

type Json = Record<string, unknown>;
const one = (v: unknown): unknown => (Array.isArray(v) ? (v as unknown[])[0] : v);

function required(value: unknown, what: string): string {
  const v = one(value);
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || v === '') throw CairnError.invalidParameter(`Missing value for required parameter '${what}'.`);
  return v;
}

/** MLflow's auth-app permission API: one user's level on one experiment or registered model. */
@Controller(MLFLOW_PREFIXES)
export class PermissionsController {
  constructor(private readonly permissions: PermissionsService) {}

  @Post('experiments/permissions/create')
  @HttpCode(200)
  async createExperiment(@Body() body: Json = {}) {
    const id = required(body.experiment_id, 'experiment_id');
    const p = await this.permissions.mlflowCreate('experiment', id, body.username, body.permission);
    return { experiment_permission: { experiment_id: id, ...p } };
  }

  @Get('experiments/permissions/get')
  async getExperiment(@Query() query: Json) {
    const id = required(query.experiment_id, 'experiment_id');
    const p = await this.permissions.mlflowGet('experiment', id, one(query.username));
    return { experiment_permission: { experiment_id: id, ...p } };
  }

  @Patch('experiments/permissions/update')
  async updateExperiment(@Body() body: Json = {}) {
    await this.permissions.mlflowUpdate('experiment', required(body.experiment_id, 'experiment_id'), body.username, body.permission);
    return {};
  }

  @Delete('experiments/permissions/delete')
  async deleteExperiment(@Body() body: Json | undefined, @Query() query: Json) {
    const input = body && Object.keys(body).length > 0 ? body : query;
    await this.permissions.mlflowDelete('experiment', required(input.experiment_id, 'experiment_id'), one(input.username));
    return {};
  }

  @Post('registered-models/permissions/create')
  @HttpCode(200)
  async createModel(@Body() body: Json = {}) {
    const name = required(body.name, 'name');
    const p = await this.permissions.mlflowCreate('registered_model', name, body.username, body.permission);
    return { registered_model_permission: { name, ...p } };
  }

  @Get('registered-models/permissions/get')
  async getModel(@Query() query: Json) {
    const name = required(query.name, 'name');
    const p = await this.permissions.mlflowGet('registered_model', name, one(query.username));
    return { registered_model_permission: { name, ...p } };
  }

  @Patch('registered-models/permissions/update')
  async updateModel(@Body() body: Json = {}) {
    await this.permissions.mlflowUpdate('registered_model', required(body.name, 'name'), body.username, body.permission);
    return {};
  }

  @Delete('registered-models/permissions/delete')
  async deleteModel(@Body() body: Json | undefined, @Query() query: Json) {
    const input = body && Object.keys(body).length > 0 ? body : query;
    await this.permissions.mlflowDelete('registered_model', required(input.name, 'name'), one(input.username));
    return {};
  }
}
