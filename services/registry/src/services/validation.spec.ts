import { CairnError } from '@cairn/contracts';
import {
  canonicalStage,
  dedupeTags,
  parseVersion,
  pythonNormpath,
  resolveMaxResults,
  validateAliasName,
  validateAliasNotReserved,
  validateArchiveExisting,
  validateModelName,
  validateTag,
} from './validation';

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

describe('stages', () => {
  it('accepts any case and answers the canonical spelling', () => {
    expect(canonicalStage('production')).toBe('Production');
    expect(canonicalStage('STAGING')).toBe('Staging');
    expect(canonicalStage('none')).toBe('None');
    expect(canonicalStage('Archived')).toBe('Archived');
  });

  it('refuses unknown and missing stages with MLflow’s message', () => {
    expect(invalid(() => canonicalStage('Prod'))).toBe(
      'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
    );
    expect(invalid(() => canonicalStage(''))).toBe("Missing value for required parameter 'stage'.");
  });

  it('archives existing versions only for Staging and Production', () => {
    expect(() => validateArchiveExisting('Production', true)).not.toThrow();
    expect(() => validateArchiveExisting('Staging', true)).not.toThrow();
    expect(() => validateArchiveExisting('Archived', false)).not.toThrow();
    expect(invalid(() => validateArchiveExisting('Archived', true))).toMatch(/'Archived' is not an Active stage/);
    expect(invalid(() => validateArchiveExisting('None', true))).toMatch(/'None' is not an Active stage/);
  });
});

describe('aliases', () => {
  it('takes word characters and dashes up to 255 characters', () => {
    expect(validateAliasName('champion')).toBe('champion');
    expect(validateAliasName('blue-green_2')).toBe('blue-green_2');
    expect(validateAliasName('a'.repeat(255))).toHaveLength(255);
    expect(invalid(() => validateAliasName('a'.repeat(256)))).toMatch(/exceeds the maximum length of 255/);
    expect(invalid(() => validateAliasName('has space'))).toMatch(/Invalid alias name: 'has space'/);
    expect(invalid(() => validateAliasName('dot.ted'))).toMatch(/Invalid alias name/);
    expect(invalid(() => validateAliasName(''))).toBe('Registered model alias name cannot be empty.');
  });

  it('reserves latest (any case) and v<digits>', () => {
    expect(invalid(() => validateAliasNotReserved('latest'))).toBe("'latest' alias name (case insensitive) is reserved.");
    expect(invalid(() => validateAliasNotReserved('LaTeSt'))).toMatch(/reserved/);
    expect(invalid(() => validateAliasNotReserved('v1'))).toBe("Version alias name 'v1' is reserved.");
    expect(invalid(() => validateAliasNotReserved('V42'))).toMatch(/reserved/);
    expect(() => validateAliasNotReserved('v1a')).not.toThrow();
    expect(() => validateAliasNotReserved('version1')).not.toThrow();
    expect(() => validateAliasNotReserved('latest-prod')).not.toThrow();
  });
});

describe('model names and versions', () => {
  it('refuses blank names, / and :, and names that act as other paths', () => {
    expect(validateModelName('My Model-1.0')).toBe('My Model-1.0');
    expect(invalid(() => validateModelName('  '))).toBe("Missing value for required parameter 'name'.");
    expect(invalid(() => validateModelName('a/b'))).toBe("Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
    expect(invalid(() => validateModelName('a:b'))).toMatch(/cannot contain/);
    expect(invalid(() => validateModelName('.'))).toMatch(/would resolve to '\.'/);
    expect(invalid(() => validateModelName('..x'))).toMatch(/Names may be treated as files/);
    expect(invalid(() => validateModelName('', 'new_name'))).toBe("Missing value for required parameter 'new_name'.");
  });

  it('parses versions as Python int() does', () => {
    expect(parseVersion('3')).toBe(3);
    expect(parseVersion(' 7 ')).toBe(7);
    expect(invalid(() => parseVersion('1.5'))).toBe("Parameter 'version' must be an integer, got '1.5'.");
    expect(invalid(() => parseVersion('abc'))).toMatch(/must be an integer/);
    expect(invalid(() => parseVersion(''))).toBe("Missing value for required parameter 'version'.");
  });

  it('normalises paths like posixpath.normpath', () => {
    expect(pythonNormpath('')).toBe('.');
    expect(pythonNormpath('a//b/./c/')).toBe('a/b/c');
    expect(pythonNormpath('a/../..')).toBe('..');
    expect(pythonNormpath('/../a')).toBe('/a');
    expect(pythonNormpath('//a')).toBe('//a');
  });
});

describe('tags', () => {
  it('checks keys and value length; later duplicates win', () => {
    expect(dedupeTags([{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'a', value: '3' }])).toEqual([
      { key: 'a', value: '3' },
      { key: 'b', value: '2' },
    ]);
    expect(invalid(() => validateTag('bad*key', 'v'))).toMatch(/Invalid value "bad\*key" for parameter 'key'/);
    expect(invalid(() => validateTag('../up', 'v'))).toMatch(/would resolve to/);
    expect(invalid(() => validateTag('k'.repeat(251), 'v'))).toBe("'key' exceeds the maximum length of 250 characters");
    expect(invalid(() => validateTag('k', 'v'.repeat(100_001)))).toBe(
      "'value' exceeds the maximum length of 100000 characters",
    );
    expect(() => validateTag('k', 'v'.repeat(100_000))).not.toThrow();
  });
});

describe('max_results', () => {
  it('defaults 0 and bounds the rest', () => {
    expect(resolveMaxResults(0, 100, 1000)).toBe(100);
    expect(resolveMaxResults(5, 100, 1000)).toBe(5);
    expect(invalid(() => resolveMaxResults(1001, 100, 1000))).toMatch(/It must be at most 1000, but got value 1001/);
    expect(invalid(() => resolveMaxResults(-1, 100, 1000))).toMatch(/positive integer/);
  });
});
