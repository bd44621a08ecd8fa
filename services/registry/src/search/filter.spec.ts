import { CairnError } from '@cairn/contracts';
import { MODEL_FILTER, parseFilter, parseRegistryFilter, VERSION_FILTER } from './filter';

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

describe('registry filter grammar', () => {
  it('parses comparisons joined by AND (any case)', () => {
    expect(parseRegistryFilter("name = 'm' and tags.team LIKE 'ml%' AND tag.`my key` != \"x\"", MODEL_FILTER)).toEqual([
      { type: 'attribute', key: 'name', comparator: '=', value: { kind: 'string', value: 'm' } },
      { type: 'tag', key: 'team', comparator: 'LIKE', value: { kind: 'string', value: 'ml%' } },
      { type: 'tag', key: 'my key', comparator: '!=', value: { kind: 'string', value: 'x' } },
    ]);
  });

  it('is empty for an empty or blank filter', () => {
    expect(parseRegistryFilter('', MODEL_FILTER)).toEqual([]);
    expect(parseRegistryFilter('   ', VERSION_FILTER)).toEqual([]);
    expect(parseRegistryFilter(undefined, VERSION_FILTER)).toEqual([]);
  });

  it('keeps dots after the entity in the key, and quoted keys whole', () => {
    expect(parseFilter("tags.mlflow.prompt.is_prompt = 'true'")[0]).toMatchObject({ entity: 'tags', key: 'mlflow.prompt.is_prompt' });
    expect(parseFilter("tags.\"a b\" = 'x'")[0]).toMatchObject({ entity: 'tags', key: 'a b' });
    expect(parseFilter("attribute.name = 'x'")[0]).toMatchObject({ entity: 'attribute', key: 'name' });
  });

  it('decodes doubled and escaped quotes in values', () => {
    expect(parseFilter("name = 'it''s'")[0]?.value).toEqual({ kind: 'string', value: "it's" });
    expect(parseFilter("name = 'it\\'s'")[0]?.value).toEqual({ kind: 'string', value: "it's" });
    expect(parseFilter("name LIKE 'a\\_b%'")[0]?.value).toEqual({ kind: 'string', value: 'a\\_b%' });
  });

  it('takes IN and NOT IN lists for name and run_id', () => {
    expect(parseRegistryFilter("name IN ('a', 'b')", MODEL_FILTER)[0]).toMatchObject({
      comparator: 'IN',
      value: { kind: 'list', values: ['a', 'b'] },
    });
    expect(parseRegistryFilter("run_id not in ('r1')", VERSION_FILTER)[0]).toMatchObject({
      comparator: 'NOT IN',
      value: { kind: 'list', values: ['r1'] },
    });
    expect(invalid(() => parseRegistryFilter("source_path IN ('a')", VERSION_FILTER))).toMatch(/Invalid comparator/);
    expect(invalid(() => parseRegistryFilter('name IN ()', MODEL_FILTER))).toMatch(/non-empty list/);
  });

  it('compares version_number as an integer with numeric comparators', () => {
    expect(parseRegistryFilter('version_number >= 3', VERSION_FILTER)[0]).toMatchObject({
      key: 'version_number',
      comparator: '>=',
      value: { kind: 'number', raw: '3' },
    });
    expect(parseRegistryFilter("version_number = '2'", VERSION_FILTER)[0]?.value).toEqual({ kind: 'number', raw: '2' });
    expect(invalid(() => parseRegistryFilter('version_number = 1.5', VERSION_FILTER))).toMatch(/numeric attribute/);
    expect(invalid(() => parseRegistryFilter("version_number LIKE '1%'", VERSION_FILTER))).toMatch(/Invalid comparator/);
  });

  it('refuses what MLflow refuses', () => {
    expect(invalid(() => parseRegistryFilter("run_id = 'x'", MODEL_FILTER))).toMatch(/Invalid attribute key 'run_id'/);
    expect(invalid(() => parseRegistryFilter("foo.bar = 'x'", MODEL_FILTER))).toMatch(/Invalid entity type 'foo'/);
    expect(invalid(() => parseRegistryFilter("tags.a > 'x'", MODEL_FILTER))).toBe('Invalid comparator for tag: >');
    expect(invalid(() => parseRegistryFilter("name = 'a' OR name = 'b'", MODEL_FILTER))).toMatch(/Invalid clause/);
    expect(invalid(() => parseRegistryFilter("name > 'a'", MODEL_FILTER))).toMatch(/Invalid comparator/);
    expect(invalid(() => parseRegistryFilter('name = 3', MODEL_FILTER))).toMatch(/numeric values/);
    expect(invalid(() => parseRegistryFilter('name = unquoted', MODEL_FILTER))).toMatch(/quoted string/);
    expect(invalid(() => parseRegistryFilter("name = 'open", MODEL_FILTER))).toMatch(/unterminated/);
    expect(invalid(() => parseRegistryFilter("name = 'a' AND", MODEL_FILTER))).toMatch(/Invalid clause/);
    expect(invalid(() => parseRegistryFilter("tags.a = 1", MODEL_FILTER))).toMatch(/quoted string value for tag/);
  });
});
