import { Controller, Inject } from '@nestjs/common';
import { artifacts } from '@cairn/contracts';
import { ARTIFACT_STORE, ArtifactStore } from '../repositories/artifact-store.repository';

@Controller()
@artifacts.ArtifactsServiceControllerMethods()
export class ArtifactsGrpc implements artifacts.ArtifactsServiceController {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  getStoreInfo(): artifacts.GetStoreInfoResponse {
    return { backend: this.store.backend, location: this.store.location };
  }
}
