import { CairnError } from '@cairn/contracts';
import { normalizeKey } from './artifact-key';

function rejects(path: string, fragment: string, allowRoot = false): void {
  let caught: unknown;
  try {
    normalizeKey(path, { allowRoot });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CairnError);
  expect((caught as CairnError).code).toBe('INVALID_PARAMETER_VALUE');
  expect((caught as CairnError).message).toContain(fragment);
}

describe('normalizeKey', () => {
  it('keeps plain relative paths and drops empty and "." segments', () => {
    expect(normalizeKey('1/abc/artifacts/model/MLmodel')).toBe('1/abc/artifacts/model/MLmodel');
    expect(normalizeKey('1//abc/./artifacts/')).toBe('1/abc/artifacts');
    expect(normalizeKey('a b+c%41.txt')).toBe('a b+c%41.txt');
    expect(normalizeKey('ünïcødé/文件.txt')).toBe('ünïcødé/文件.txt');
    expect(normalizeKey('..a/b..')).toBe('..a/b..');
  });

  it('rejects ".." anywhere', () => {
    rejects('..', "'..'");
    rejects('1/../2', "'..'");
    rejects('1/abc/artifacts/../../../etc/passwd', "'..'");
    rejects('a/..', "'..'");
  });

  it('rejects absolute and drive-letter paths', () => {
    rejects('/etc/passwd', 'absolute');
    rejects('//server/share', 'absolute');
    rejects('C:/Windows', 'drive-letter');
    rejects('c:evil', 'drive-letter');
  });

  it('rejects NUL and control characters', () => {
    rejects('a\u0000b', 'control');
    rejects('a/b\n', 'control');
    rejects('a\u007f', 'control');
  });

  it('rejects backslashes (a separator elsewhere)', () => {
    rejects('a\\..\\..\\etc', 'backslash');
    rejects('dir\\file', 'backslash');
  });

  it('rejects the reserved staging name at the top only', () => {
    rejects('.cairn/tmp/x', 'reserved');
    expect(normalizeKey('a/.cairn/x')).toBe('a/.cairn/x');
  });

  it('needs a path unless the root is allowed', () => {
    rejects('', 'required');
    rejects('./', 'required');
    expect(normalizeKey('', { allowRoot: true })).toBe('');
    rejects('/', 'absolute', true);
  });

  it('bounds the key length', () => {
    rejects('a/'.repeat(600), 'longer than');
  });
});
