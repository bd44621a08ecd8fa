import { parseExperimentOrderBy, parseLoggedModelOrderBy, parseOrderByClause, parseRunOrderBy } from './order-by';
import { RUN_SEARCH_SPEC } from './search-fields';
import { expectInvalid } from './search-test-helpers';

const brief = (clauses: string[]) =>
  parseRunOrderBy(clauses).map(({ field, ascending }) => `${field.type}.${field.key} ${ascending ? 'asc' : 'desc'}`);

describe('run order_by', () => {
  it('parses every field type with an optional direction in any case', () => {
    expect(
      brief(['metrics.acc DESC', 'params.x', 'tags.t ASC', 'attributes.start_time', 'end_time desc', 'run_name Asc']),
    ).toEqual([
      'metric.acc desc',
      'param.x asc',
      'tag.t asc',
      'attribute.start_time asc',
      'attribute.end_time desc',
      'attribute.run_name asc',
    ]);
  });

  it('accepts aliases and quoted keys', () => {
    expect(brief(['metric.`my metric` DESC', 'param."a b"', 'tag.`mlflow.runName`', 'created DESC', 'attr.run_id'])).toEqual([
      'metric.my metric desc',
      'param.a b asc',
      'tag.mlflow.runName asc',
      'attribute.start_time desc',
      'attribute.run_id asc',
    ]);
  });

  it('returns no keys for a missing or empty list', () => {
    expect(parseRunOrderBy(undefined)).toEqual([]);
    expect(parseRunOrderBy([])).toEqual([]);
  });

  it('rejects unparsable clauses with MLflow wording', () => {
    expectInvalid(() => parseRunOrderBy(['']), "Invalid order_by clause ''. Could not be parsed.");
    expectInvalid(() => parseRunOrderBy(['metrics.a DESC extra']), "Invalid order_by clause 'metrics.a DESC extra'. Could not be parsed.");
    expectInvalid(() => parseRunOrderBy(['metrics.a, metrics.b']), 'Could not be parsed.');
    expectInvalid(() => parseRunOrderBy(['metrics.`a DESC']), /Could not be parsed\. Invalid filter string: unterminated backtick/);
    expectInvalid(() => parseRunOrderBy(['DESC']), "Invalid attribute key 'DESC'");
  });

  it('rejects a bad direction', () => {
    expectInvalid(() => parseRunOrderBy(['metrics.a DOWN']), "Invalid ordering key in order_by clause 'metrics.a DOWN'.");
  });

  it('rejects unknown prefixes and attributes, and datasets', () => {
    expectInvalid(() => parseRunOrderBy(['foo.bar']), "Invalid entity type 'foo'");
    expectInvalid(() => parseRunOrderBy(['lifecycle_stage']), "Invalid attribute key 'lifecycle_stage'");
    expectInvalid(() => parseRunOrderBy(['`run name`']), "Invalid attribute key 'run name'");
    expectInvalid(() => parseRunOrderBy(['datasets.name']), "Invalid order_by entity type 'dataset'");
  });

  it('rejects duplicate fields, aliases included', () => {
    expectInvalid(() => parseRunOrderBy(['metrics.a', 'metrics.a DESC']), '`order_by` contains duplicate fields: ["metrics.a","metrics.a DESC"]');
    expectInvalid(() => parseRunOrderBy(['start_time', 'created DESC']), 'duplicate fields');
  });

  it('parses one clause against any spec', () => {
    expect(parseOrderByClause('  metrics.acc   DESC ', RUN_SEARCH_SPEC)).toEqual({
      field: { type: 'metric', key: 'acc', numeric: true },
      ascending: false,
    });
  });
});

describe('experiment order_by', () => {
  it('accepts the four attributes', () => {
    const keys = parseExperimentOrderBy(['name', 'experiment_id DESC', 'attribute.creation_time', 'last_update_time DESC']);
    expect(keys.map((k) => [k.field.key, k.ascending])).toEqual([
      ['name', true],
      ['experiment_id', false],
      ['creation_time', true],
      ['last_update_time', false],
    ]);
  });

  it('rejects tags and unknown attributes', () => {
    expectInvalid(() => parseExperimentOrderBy(['tags.owner']), 'Invalid order_by entity: tag');
    expectInvalid(() => parseExperimentOrderBy(['artifact_location']), "Invalid attribute key 'artifact_location'");
    expectInvalid(() => parseExperimentOrderBy(['metrics.a']), "Invalid entity type 'metrics'");
  });
});

describe('logged model order_by', () => {
  it('accepts attributes with aliases and metrics with dataset scoping', () => {
    const keys = parseLoggedModelOrderBy([
      { field_name: 'creation_time' },
      { field_name: 'name', ascending: false },
      { field_name: 'metrics.acc', ascending: false, dataset_name: 'eval', dataset_digest: 'abc' },
      { field_name: 'metrics.`f1 score`' },
    ]);
    expect(keys).toEqual([
      { field: { type: 'attribute', key: 'creation_timestamp', numeric: true }, ascending: true, datasetName: undefined, datasetDigest: undefined },
      { field: { type: 'attribute', key: 'name', numeric: false }, ascending: false, datasetName: undefined, datasetDigest: undefined },
      { field: { type: 'metric', key: 'acc', numeric: true }, ascending: false, datasetName: 'eval', datasetDigest: 'abc' },
      { field: { type: 'metric', key: 'f1 score', numeric: true }, ascending: true, datasetName: undefined, datasetDigest: undefined },
    ]);
  });

  it('rejects what MLflow rejects', () => {
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: '' }]), '`field_name` in the `order_by` clause must be specified.');
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'params.lr' }]), 'Invalid order by field name: params.lr. Only metrics are supported.');
    expectInvalid(() => parseLoggedModelOrderBy([{ field_name: 'artifact_location' }]), 'Invalid order by field name: artifact_location.');
    expectInvalid(
      () => parseLoggedModelOrderBy([{ field_name: 'metrics.a', dataset_digest: 'd' }]),
      '`dataset_digest` can only be specified if `dataset_name` is also specified.',
    );
    expectInvalid(
      () => parseLoggedModelOrderBy([{ field_name: 'name', ascending: 'yes' as unknown as boolean }]),
      'Value of `ascending` in the `order_by` clause must be a boolean, got string for field name.',
    );
  });
});
