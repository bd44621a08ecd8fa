import { CairnError } from '@cairn/contracts';
import {
  checkNoRelativePaths,
  isWithinRoot,
  parseModelUri,
  proxiedPath,
  pythonJsonDumps,
  urlParts,
} from './model-sources.service';

describe('model version sources', () => {
  it('splits URIs as urllib.parse does', () => {
    expect(urlParts('runs:/abc/model')).toEqual({ scheme: 'runs', netloc: '', path: '/abc/model' });
    expect(urlParts('S3://bucket/key?x=1')).toEqual({ scheme: 's3', netloc: 'bucket', path: '/key' });
    expect(urlParts('/tmp/x')).toEqual({ scheme: '', netloc: '', path: '/tmp/x' });
    expect(urlParts('file:///tmp/x')).toEqual({ scheme: 'file', netloc: '', path: '/tmp/x' });
  });

  it('parses models:/ URIs: logged model ids, versions, stages, latest, aliases', () => {
    expect(parseModelUri('models:/m-123')).toEqual({ kind: 'logged-model', modelId: 'm-123' });
    expect(parseModelUri('models:/clf/3')).toEqual({ kind: 'registry', name: 'clf', version: 3 });
    expect(parseModelUri('models:/clf/Production')).toEqual({ kind: 'registry', name: 'clf', stage: 'Production' });
    expect(parseModelUri('models:/clf/latest')).toEqual({ kind: 'registry', name: 'clf', latest: true });
    expect(parseModelUri('models:/clf@champion')).toEqual({ kind: 'registry', name: 'clf', alias: 'champion' });
    for (const bad of ['models:/', 'models:/a/b/c', 'models:/a/', 'runs:/x', 'models:/clf@']) {
      expect(() => parseModelUri(bad)).toThrow(CairnError);
    }
  });

  it('finds the store path of proxied artifact URIs', () => {
    expect(proxiedPath('mlflow-artifacts:/0/abc/artifacts/model')).toBe('0/abc/artifacts/model');
    expect(proxiedPath('mlflow-artifacts://host:5000/1/m')).toBe('1/m');
    expect(proxiedPath('http://h:5000/api/2.0/mlflow-artifacts/artifacts/2/models/m-1/artifacts')).toBe('2/models/m-1/artifacts');
    expect(proxiedPath('s3://bucket/x')).toBeNull();
    expect(proxiedPath('http://h/other/path')).toBeNull();
  });

  it('checks that a source lies inside an artifact root', () => {
    expect(isWithinRoot('mlflow-artifacts:/0/r1/artifacts/model', 'mlflow-artifacts:/0/r1/artifacts')).toBe(true);
    expect(isWithinRoot('mlflow-artifacts:/0/r2/artifacts/model', 'mlflow-artifacts:/0/r1/artifacts')).toBe(false);
    expect(isWithinRoot('mlflow-artifacts:/0/r1/artifacts%2Fmodel', 'mlflow-artifacts:/0/r1/artifacts')).toBe(false);
    expect(isWithinRoot('s3://b/0/r1/artifacts/m', 'mlflow-artifacts:/0/r1/artifacts')).toBe(false);
  });

  it('refuses relative references, also when percent-encoded', () => {
    expect(() => checkNoRelativePaths('s3://bucket/models/m')).not.toThrow();
    expect(() => checkNoRelativePaths('runs:/abc/model')).not.toThrow();
    for (const bad of ['s3://b/../x', 'mlflow-artifacts:/0/..%2f..%2fetc', 'http://h/a/./b', 's3://bucket', 'dbfs:relative/x']) {
      expect(() => checkNoRelativePaths(bad)).toThrow(/absolute path must be provided/);
    }
  });

  it('writes the mlflow.modelVersions tag as Python’s json.dumps does', () => {
    expect(pythonJsonDumps([{ name: 'm', version: 1 }])).toBe('[{"name": "m", "version": 1}]');
    expect(pythonJsonDumps([{ name: 'é', version: '2' }, { name: 'x', version: 3 }])).toBe(
      '[{"name": "\\u00e9", "version": "2"}, {"name": "x", "version": 3}]',
    );
  });
});
