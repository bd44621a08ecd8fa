import { Injectable } from '@nestjs/common';
import { RegisteredModelRef, RegisteredModelUriResolver } from '../services/artifact-uris.service';
import { RegistryClient } from './registry.client';

/** `models:/<name>/<version|stage>` and `models:/<name>@<alias>` through the registry's ResolveModelUri. */
@Injectable()
export class RegistryModelUriResolver implements RegisteredModelUriResolver {
  constructor(private readonly registry: RegistryClient) {}

  async artifactUriOf(model: RegisteredModelRef): Promise<string> {
    const { name } = model;
    const uri =
      model.alias !== undefined
        ? `models:/${name}@${model.alias}`
        : `models:/${name}/${model.version ?? model.stage ?? ''}`;
    return (await this.registry.call('resolveModelUri', { uri })).artifact_uri;
  }
}
