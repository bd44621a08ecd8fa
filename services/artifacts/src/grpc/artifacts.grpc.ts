import { Controller } from '@nestjs/common';
import { artifacts } from '@cairn/contracts';
import { ArtifactsService } from '../services/artifacts.service';

@Controller()
@artifacts.ArtifactsServiceControllerMethods()
export class ArtifactsGrpc implements artifacts.ArtifactsServiceController {
  constructor(private readonly artifacts: ArtifactsService) {}

  getStoreInfo(): artifacts.GetStoreInfoResponse {
    return this.artifacts.storeInfo();
  }
}
