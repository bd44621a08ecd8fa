import { CairnError } from '@cairn/contracts';
import { TrackingClient } from '../clients/tracking.client';
import { ArtifactUriResolver, RegisteredModelUriResolver } from './artifact-uris.service';

const RUN = '0123456789abcdef0123456789abcdef';
const MODEL = `m-${'a'.repeat(32)}`;

function tracking(): TrackingClient {
  const call = jest.fn(async (method: string, request: Record<string, string>) => {
    if (method === 'getRunArtifactRoot') {
      if (request.run_id !== RUN) throw CairnError.notFound(`Run '${request.run_id}' not found`);
      return { experiment_id: '4', artifact_uri: `mlflow-artifacts:/4/${RUN}/artifacts` };
    }
    if (method === 'getLoggedModel') {
      return {
        model: { info: { model_id: MODEL, experiment_id: '4', artifact_uri: `mlflow-artifacts:/4/models/${MODEL}/artifacts`, source_run_id: RUN } },
      };
    }
    throw new Error(`unexpected ${method}`);
  });
  return { call } as unknown as TrackingClient;
}

describe('ArtifactUriResolver', () => {
  it('resolves mlflow-artifacts URIs by their key and layout', async () => {
    const r = await new ArtifactUriResolver(tracking()).resolve(`mlflow-artifacts:/4/${RUN}/artifacts/model`);
    expect(r).toMatchObject({ key: `4/${RUN}/artifacts/model`, scope: { experimentId: '4', runId: RUN } });
  });

  it('resolves runs:/ through the run\'s artifact root', async () => {
    const r = await new ArtifactUriResolver(tracking()).resolve(`runs:/${RUN}/model/MLmodel`);
    expect(r).toEqual({
      rootUri: `mlflow-artifacts:/4/${RUN}/artifacts`,
      rootKey: `4/${RUN}/artifacts`,
      key: `4/${RUN}/artifacts/model/MLmodel`,
      scope: { experimentId: '4', runId: RUN },
    });
    await expect(new ArtifactUriResolver(tracking()).resolve(`runs:/${RUN}/../x`)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(new ArtifactUriResolver(tracking()).resolve(`runs:/${'f'.repeat(32)}/x`)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('resolves models:/<model_id> through the logged model', async () => {
    const r = await new ArtifactUriResolver(tracking()).resolve(`models:/${MODEL}`);
    expect(r).toMatchObject({ key: `4/models/${MODEL}/artifacts`, scope: { experimentId: '4', loggedModelId: MODEL, runId: RUN } });
  });

  it('leaves registered model URIs to the registry, NOT_IMPLEMENTED without it', async () => {
    await expect(new ArtifactUriResolver(tracking()).resolve('models:/churn/3')).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' });
    const registry: RegisteredModelUriResolver = {
      artifactUriOf: jest.fn(async (m) => (m.alias === 'champion' ? `models:/${MODEL}` : `runs:/${RUN}/model`)),
    };
    const resolver = new ArtifactUriResolver(tracking(), registry);
    expect((await resolver.resolve('models:/churn/3')).key).toBe(`4/${RUN}/artifacts/model`);
    expect((await resolver.resolve('models:/churn/Production/MLmodel')).key).toBe(`4/${RUN}/artifacts/model/MLmodel`);
    expect((await resolver.resolve('models:/churn@champion')).key).toBe(`4/models/${MODEL}/artifacts`);
    expect(registry.artifactUriOf).toHaveBeenCalledWith({ name: 'churn', version: '3' });
    expect(registry.artifactUriOf).toHaveBeenCalledWith({ name: 'churn', stage: 'Production' });
    expect(registry.artifactUriOf).toHaveBeenCalledWith({ name: 'churn', alias: 'champion' });
  });

  it('gives no key for artifacts outside the proxied store', async () => {
    const r = await new ArtifactUriResolver(tracking()).resolve('s3://bucket/path');
    expect(r).toEqual({ rootUri: 's3://bucket/path', rootKey: undefined, key: undefined, scope: {} });
  });
});
