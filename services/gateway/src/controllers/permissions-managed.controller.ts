import { Body, Controller, Get, Param, Patch, Put } from '@nestjs/common';
import { ManagedAcl, PermissionsService } from '../security/permissions.service';

type Levels = { permission_levels: { permission_level: string; description: string }[] };

/**
 * The managed registry's permission API over the same grants: the whole
 * access-control list of an experiment (by id) or a registered model (by
 * name, URL-encoded, in place of the managed registry's model id). PUT
 * replaces the list, PATCH adds or changes entries.
 */
@Controller('api/2.0/permissions')
export class PermissionsManagedController {
  constructor(private readonly permissions: PermissionsService) {}

  @Get('experiments/:experiment_id')
  getExperiment(@Param('experiment_id') id: string): Promise<ManagedAcl> {
    return this.permissions.managedGet('experiment', id);
  }

  @Put('experiments/:experiment_id')
  setExperiment(@Param('experiment_id') id: string, @Body() body: unknown): Promise<ManagedAcl> {
    return this.permissions.managedSet('experiment', id, body, true);
  }

  @Patch('experiments/:experiment_id')
  updateExperiment(@Param('experiment_id') id: string, @Body() body: unknown): Promise<ManagedAcl> {
    return this.permissions.managedSet('experiment', id, body, false);
  }

  @Get('experiments/:experiment_id/permissionLevels')
  experimentLevels(): Levels {
    return this.permissions.permissionLevels('experiment');
  }

  @Get('registered-models/:name')
  getModel(@Param('name') name: string): Promise<ManagedAcl> {
    return this.permissions.managedGet('registered_model', name);
  }

  @Put('registered-models/:name')
  setModel(@Param('name') name: string, @Body() body: unknown): Promise<ManagedAcl> {
    return this.permissions.managedSet('registered_model', name, body, true);
  }

  @Patch('registered-models/:name')
  updateModel(@Param('name') name: string, @Body() body: unknown): Promise<ManagedAcl> {
    return this.permissions.managedSet('registered_model', name, body, false);
  }

  @Get('registered-models/:name/permissionLevels')
  modelLevels(): Levels {
    return this.permissions.permissionLevels('registered_model');
  }
}
