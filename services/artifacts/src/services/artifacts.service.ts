import { Inject, Injectable } from '@nestjs/common';
import { artifacts } from '@cairn/contracts';
import { ARTIFACT_STORE, ArtifactStore } from '../repositories/artifact-store.repository';

@Injectable()
export class ArtifactsService {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  storeInfo(): artifacts.GetStoreInfoResponse {
    return { backend: this.store.backend, location: this.store.location };
  }
}
