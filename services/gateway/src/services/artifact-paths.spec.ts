import { CairnError } from '@cairn/contracts';
import { artifactRequestTarget, artifactScope, normalizeArtifactPath, pathAfter, proxiedKeyOf } from './artifact-paths';

const RUN = '0123456789abcdef0123456789abcdef';
const MODEL = `m-${RUN}`;

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CairnError);
    expect((err as CairnError).code).toBe('INVALID_PARAMETER_VALUE');
    return (err as CairnError).message;
  }
  throw new Error('expected INVALID_PARAMETER_VALUE');
}

describe('normalizeArtifactPath', () => {
  it('normalises plain paths and decodes percent-encoding as MLflow does', () => {
    expect(normalizeArtifactPath(`1/${RUN}/artifacts/model/MLmodel`)).toBe(`1/${RUN}/artifacts/model/MLmodel`);
    expect(normalizeArtifactPath('a//b/./c/')).toBe('a/b/c');
    expect(normalizeArtifactPath('dir/file%20name.txt')).toBe('dir/file name.txt');
    expect(normalizeArtifactPath('d%C3%A9j%C3%A0/x')).toBe('déjà/x');
    expect(normalizeArtifactPath('100%.txt')).toBe('100%.txt');
    expect(normalizeArtifactPath('', { allowRoot: true })).toBe('');
  });

  it.each([
    ['..', "'..'"],
    ['1/../../etc/passwd', "'..'"],
    ['1/%2e%2e/%2E%2E/etc/passwd', "'..'"],
    ['1/%252e%252e/x', "'..'"],
    ['1%2f..%2f..%2fetc', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['%2Fetc%2Fpasswd', 'absolute'],
    ['C:/Windows/system32', 'drive-letter'],
    ['a\\..\\..\\etc', 'backslash'],
    ['a%5c..%5cetc', 'backslash'],
    ['a%00.txt', 'control'],
    ['a\u0000.txt', 'control'],
    ['a%0a.txt', 'control'],
    ['a%23b', "'#'"],
    ['', 'required'],
  ])('rejects %j', (raw, why) => {
    expect(invalid(() => normalizeArtifactPath(raw))).toContain(why);
  });

  it('gives up on endless encoding', () => {
    let raw = '..';
    for (let i = 0; i < 12; i++) raw = encodeURIComponent(raw).replace(/\./g, '%2E');
    expect(invalid(() => normalizeArtifactPath(raw))).toContain('percent-encoding');
  });
});

describe('artifactScope', () => {
  it('reads experiment, run, logged model and trace from the layout', () => {
    expect(artifactScope('7')).toEqual({ experimentId: '7' });
    expect(artifactScope(`7/${RUN}/artifacts/model/x.pkl`)).toEqual({ experimentId: '7', runId: RUN });
    expect(artifactScope(`7/models/${MODEL}/artifacts/MLmodel`)).toEqual({ experimentId: '7', loggedModelId: MODEL });
    expect(artifactScope(`7/traces/tr-${RUN}/artifacts/traces.json`)).toEqual({ experimentId: '7', traceId: `tr-${RUN}` });
    expect(artifactScope('7/notarun/x')).toEqual({ experimentId: '7' });
  });

  it('has no experiment for keys outside the layout', () => {
    expect(artifactScope('')).toEqual({});
    expect(artifactScope('team-a/custom/x')).toEqual({});
  });
});

describe('artifactRequestTarget', () => {
  it('maps every proxy route to an operation, a key and a scope', () => {
    expect(artifactRequestTarget('GET', `/api/2.0/mlflow-artifacts/artifacts/3/${RUN}/artifacts/a.txt`)).toEqual({
      operation: 'read',
      key: `3/${RUN}/artifacts/a.txt`,
      scope: { experimentId: '3', runId: RUN },
    });
    expect(artifactRequestTarget('PUT', '/ajax-api/2.0/mlflow-artifacts/artifacts/3/x')?.operation).toBe('write');
    expect(artifactRequestTarget('DELETE', '/api/2.0/mlflow-artifacts/artifacts/3/x')?.operation).toBe('delete');
    expect(artifactRequestTarget('GET', '/api/2.0/mlflow-artifacts/artifacts?path=3%2Fabc')).toEqual({
      operation: 'list',
      key: '3/abc',
      scope: { experimentId: '3' },
    });
    expect(artifactRequestTarget('GET', '/api/2.0/mlflow-artifacts/artifacts')?.key).toBe('');
    expect(artifactRequestTarget('POST', `/api/2.0/mlflow-artifacts/mpu/create/3/models/${MODEL}/artifacts`)).toMatchObject({
      operation: 'write',
      scope: { experimentId: '3', loggedModelId: MODEL },
    });
    expect(artifactRequestTarget('GET', '/api/2.0/mlflow-artifacts/presigned/3/x')?.operation).toBe('read');
    expect(artifactRequestTarget('GET', '/api/2.0/mlflow/experiments/get')).toBeUndefined();
  });

  it('rejects unsafe paths before anything runs', () => {
    invalid(() => artifactRequestTarget('GET', '/api/2.0/mlflow-artifacts/artifacts/3/%2e%2e/%2e%2e/x'));
    invalid(() => artifactRequestTarget('GET', '/api/2.0/mlflow-artifacts/artifacts?path=../x'));
  });
});

describe('proxiedKeyOf', () => {
  it('reads the key of proxied artifact URIs', () => {
    expect(proxiedKeyOf('mlflow-artifacts:/3/abc/artifacts')).toBe('3/abc/artifacts');
    expect(proxiedKeyOf('mlflow-artifacts://host:5000/3/abc')).toBe('3/abc');
    expect(proxiedKeyOf('mlflow-artifacts:/')).toBe('');
    expect(proxiedKeyOf('http://h:5000/prefix/api/2.0/mlflow-artifacts/artifacts/3/abc')).toBe('3/abc');
  });

  it('is undefined for other stores, and refuses traversal', () => {
    expect(proxiedKeyOf('s3://bucket/3/abc')).toBeUndefined();
    expect(proxiedKeyOf('file:///tmp/x')).toBeUndefined();
    expect(proxiedKeyOf('http://h/other/path')).toBeUndefined();
    invalid(() => proxiedKeyOf('mlflow-artifacts:/3/../../x'));
  });
});

describe('pathAfter', () => {
  it('takes the raw tail before the query', () => {
    expect(pathAfter('/api/2.0/mlflow-artifacts/artifacts/a/b%20c?x=1', '/mlflow-artifacts/artifacts/')).toBe('a/b%20c');
    expect(pathAfter('/elsewhere', '/mlflow-artifacts/artifacts/')).toBe('');
  });
});
