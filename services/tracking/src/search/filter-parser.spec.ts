import { parseFilter } from './filter-parser';
import { EXPERIMENT_SEARCH_SPEC, LOGGED_MODEL_SEARCH_SPEC, RUN_SEARCH_SPEC } from './search-fields';
import { expectInvalid } from './search-test-helpers';

const runs = (filter: string) => parseFilter(filter, RUN_SEARCH_SPEC);
const experiments = (filter: string) => parseFilter(filter, EXPERIMENT_SEARCH_SPEC);
const models = (filter: string) => parseFilter(filter, LOGGED_MODEL_SEARCH_SPEC);

describe('parseFilter: structure', () => {
  it('returns no conditions for empty, blank or missing filters', () => {
    expect(runs('')).toEqual([]);
    expect(runs('   \t\n')).toEqual([]);
    expect(parseFilter(undefined, RUN_SEARCH_SPEC)).toEqual([]);
    expect(parseFilter(null, RUN_SEARCH_SPEC)).toEqual([]);
  });

  it('parses a single metric comparison into a typed AST', () => {
    expect(runs('metrics.acc > 0.9')).toEqual([
      {
        field: { type: 'metric', key: 'acc', numeric: true },
        comparator: '>',
        value: { kind: 'number', raw: '0.9', value: 0.9 },
      },
    ]);
  });

  it('joins conditions with AND in any letter case, without needing spaces around operators', () => {
    const ast = runs("metrics.acc>0.9 and params.lr='0.1' AND tags.team = 'core'");
    expect(ast.map((c) => [c.field.type, c.field.key, c.comparator])).toEqual([
      ['metric', 'acc', '>'],
      ['param', 'lr', '='],
      ['tag', 'team', '='],
    ]);
  });

  it('rejects OR with a clear message and its position', () => {
    expectInvalid(
      () => runs("metrics.a > 1 OR metrics.b > 2"),
      "Invalid clause(s) in filter string: 'OR' at position 15. Search filters only support AND",
    );
    expectInvalid(() => runs("tags.a = 'x' or tags.b = 'y'"), "'OR' at position 14");
  });

  it('rejects trailing garbage after a comparison', () => {
    expectInvalid(() => runs("tags.a = 'x' tags.b = 'y'"), "unexpected 'tags' at position 14; expected AND");
    expectInvalid(() => runs('metrics.a > 1 2'), "unexpected '2' at position 15");
    expectInvalid(() => runs('metrics.a > 1abc'), "unexpected 'abc'");
    expectInvalid(() => runs('metrics.a > 1)'), "unexpected ')'");
  });

  it('rejects a dangling AND and a leading AND', () => {
    expectInvalid(() => runs('metrics.a > 1 AND'), 'expected an identifier such as metrics.<key>');
    expectInvalid(() => runs('metrics.a > 1 AND'), 'reached the end of the filter');
    expectInvalid(() => runs('AND metrics.a > 1'), "found 'AND' at position 1");
  });

  it('rejects a missing comparator or value', () => {
    expectInvalid(() => runs('metrics.acc'), "expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) after 'metrics.acc', but reached the end");
    expectInvalid(() => runs("tags.a 'x'"), "after 'tags.a', but found ''x'' at position 8");
    expectInvalid(() => runs('metrics.acc >'), "expected a value after 'metrics.acc >', but reached the end of the filter");
    expectInvalid(() => runs('metrics.acc > AND tags.a = 1'), "found 'AND' at position 15");
  });

  it('rejects invalid comparator spellings', () => {
    expectInvalid(() => runs('metrics.a == 1'), "Invalid comparator '==' at position 11");
    expectInvalid(() => runs('metrics.a <> 1'), "Invalid comparator '<>'");
    expectInvalid(() => runs("tags.a NOT LIKE 'x'"), "Invalid comparator 'NOT LIKE'");
    expectInvalid(() => runs('tags.a IS NOTHING'), "Invalid comparator 'IS NOTHING'");
    expectInvalid(() => runs('metrics.a IS NULL'), "Invalid comparator 'IS NULL' for metric 'a'");
    expectInvalid(() => runs("attributes.status IN ('KILLED')"), "Invalid comparator 'IN' for attribute 'status'");
  });

  it('reads IS NULL / IS NOT NULL on params and tags (MLflow 3.17)', () => {
    expect(runs('tags.a IS NULL')[0]).toMatchObject({ comparator: 'IS NULL', value: { kind: 'none' } });
    expect(runs('params.`b c` is not null')[0]).toMatchObject({ comparator: 'IS NOT NULL', field: { key: 'b c' } });
  });

  it('rejects a leading value', () => {
    expectInvalid(() => runs("'x' = tags.a"), "expected an identifier such as metrics.<key>, params.<key>, tags.<key> or attributes.<key>, but found ''x'' at position 1");
  });
});

describe('parseFilter: identifiers', () => {
  it.each([
    ['metric', 'metric'],
    ['metrics', 'metric'],
    ['param', 'param'],
    ['params', 'param'],
    ['parameter', 'param'],
    ['parameters', 'param'],
    ['tag', 'tag'],
    ['tags', 'tag'],
  ])('accepts the %s prefix', (prefix, type) => {
    const value = type === 'metric' ? '1' : "'v'";
    expect(runs(`${prefix}.k = ${value}`)[0]!.field).toMatchObject({ type, key: 'k' });
  });

  it.each(['attribute', 'attributes', 'attr', 'run'])('accepts the %s prefix for attributes', (prefix) => {
    expect(runs(`${prefix}.status = 'RUNNING'`)[0]!.field).toEqual({ type: 'attribute', key: 'status', numeric: false });
  });

  it.each(['dataset', 'datasets'])('accepts the %s prefix for datasets', (prefix) => {
    expect(runs(`${prefix}.digest = 'abc'`)[0]!.field).toEqual({ type: 'dataset', key: 'digest', numeric: false });
  });

  it('accepts a backtick-quoted prefix', () => {
    expect(runs('`metrics`.acc > 1')[0]!.field).toMatchObject({ type: 'metric', key: 'acc' });
  });

  it('reads quoted keys with spaces and special characters', () => {
    expect(runs('metrics."my metric" > 1')[0]!.field.key).toBe('my metric');
    expect(runs("params.`a b` = 'x'")[0]!.field.key).toBe('a b');
    expect(runs("tags.'odd key' = 'x'")[0]!.field.key).toBe('odd key');
    expect(runs("tags.`mlflow.runName` = 'x'")[0]!.field.key).toBe('mlflow.runName');
  });

  it('reads unquoted keys containing dots, digits, dashes, slashes and colons', () => {
    expect(runs("tags.mlflow.runName = 'x'")[0]!.field.key).toBe('mlflow.runName');
    expect(runs('metrics.loss.v2 < 1')[0]!.field.key).toBe('loss.v2');
    expect(runs('metrics.5 < 1')[0]!.field.key).toBe('5');
    expect(runs("params.model-name = 'x'")[0]!.field.key).toBe('model-name');
    expect(runs('metrics.eval/loss:epoch_1 < 1')[0]!.field.key).toBe('eval/loss:epoch_1');
    expect(runs("tags.and = 'x'")[0]!.field.key).toBe('and');
  });

  it('maps unprefixed and aliased attribute names to their canonical keys', () => {
    expect(runs('start_time > 1')[0]!.field).toEqual({ type: 'attribute', key: 'start_time', numeric: true });
    expect(runs('created > 1')[0]!.field.key).toBe('start_time');
    expect(runs('attributes.Created > 1')[0]!.field.key).toBe('start_time');
    expect(runs("run_name = 'x'")[0]!.field.key).toBe('run_name');
    expect(runs(`"run name" = 'x'`)[0]!.field.key).toBe('run_name');
    expect(runs("attributes.`Run Name` = 'x'")[0]!.field.key).toBe('run_name');
    expect(runs("run_id = 'abc'")[0]!.field.key).toBe('run_id');
  });

  it('rejects unknown prefixes with the valid ones', () => {
    expectInvalid(
      () => runs('metricz.acc > 1'),
      "Invalid entity type 'metricz'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']",
    );
    expectInvalid(() => experiments('metrics.acc > 1'), "Invalid entity type 'metrics'. Valid values are ['attribute', 'tag', 'tags']");
    expectInvalid(() => models("datasets.name = 'x'"), "Invalid entity type 'datasets'");
  });

  it('rejects unknown attribute and dataset keys', () => {
    expectInvalid(() => runs("lifecycle_stage = 'active'"), "Invalid attribute key 'lifecycle_stage' specified. Valid keys are [");
    expectInvalid(() => runs("attributes.foo = 'x'"), "Invalid attribute key 'foo'");
    expectInvalid(() => runs("datasets.schema = 'x'"), "Invalid dataset key 'schema' specified. Valid keys are ['name', 'digest', 'context']");
  });

  it('rejects a prefix without a key', () => {
    expectInvalid(() => runs('metrics. > 1'), "Invalid identifier 'metrics.' in filter string at position 1: missing key");
    expectInvalid(() => runs('metrics.'), 'missing key after the dot');
  });
});

describe('parseFilter: values', () => {
  it('parses integers, decimals, negatives and scientific notation', () => {
    const cases: [string, number][] = [
      ['5', 5], ['-5', -5], ['0.25', 0.25], ['-0.25', -0.25], ['.5', 0.5], ['-.5', -0.5],
      ['2.', 2], ['1e3', 1000], ['1E-3', 0.001], ['-2.5e+2', -250],
    ];
    for (const [text, expected] of cases) {
      expect(runs(`metrics.m >= ${text}`)[0]!.value).toEqual({ kind: 'number', raw: text, value: expected });
    }
  });

  it('reads single- and double-quoted strings with escapes', () => {
    expect(runs("tags.t = 'it''s'")[0]!.value).toEqual({ kind: 'string', value: "it's" });
    expect(runs("tags.t = 'it\\'s'")[0]!.value).toEqual({ kind: 'string', value: "it's" });
    expect(runs(`tags.t = "it's"`)[0]!.value).toEqual({ kind: 'string', value: "it's" });
    expect(runs(`tags.t = "say ""hi"""`)[0]!.value).toEqual({ kind: 'string', value: 'say "hi"' });
    expect(runs("tags.t = ''")[0]!.value).toEqual({ kind: 'string', value: '' });
    expect(runs("tags.t = 'a AND b OR c'")[0]!.value).toEqual({ kind: 'string', value: 'a AND b OR c' });
  });

  it('reads IN / NOT IN lists, including a trailing comma and mixed quotes', () => {
    expect(runs("run_id IN ('a', \"b\",)")[0]!).toMatchObject({ comparator: 'IN', value: { kind: 'list', values: ['a', 'b'] } });
    expect(runs("attributes.run_id not in ('k')")[0]!).toMatchObject({ comparator: 'NOT IN', value: { values: ['k'] } });
    expect(runs("datasets.name IN ('train','eval')")[0]!.value).toEqual({ kind: 'list', values: ['train', 'eval'] });
  });

  it('rejects malformed lists', () => {
    expectInvalid(() => runs('run_id IN ()'), 'expected a non-empty list of string values, but got empty list');
    expectInvalid(() => runs("run_id IN ('a', 1)"), "but got different type in list: ('a', 1");
    expectInvalid(() => runs("run_id IN ('a' 'b')"), "got ill-formed list: ('a' 'b' (unexpected ''b''");
    expectInvalid(() => runs("run_id IN ('a',"), 'is not closed');
    expectInvalid(() => runs("run_id IN ('a'"), 'the list opened at position 11 is not closed');
  });

  it('requires numbers for metrics and numeric attributes', () => {
    expectInvalid(() => runs("metrics.acc > '0.9'"), "Expected numeric value type for metric 'acc'. Found '0.9'");
    expectInvalid(() => runs('metrics.acc > high'), 'Found high');
    expectInvalid(() => runs("start_time > 'yesterday'"), "Expected numeric value type for numeric attribute: start_time. Found 'yesterday'");
    expectInvalid(() => experiments("creation_time = 'x'"), 'numeric attribute: creation_time');
  });

  it('requires quoted strings for params, tags, string attributes and datasets', () => {
    expectInvalid(() => runs('params.lr = 0.1'), "Expected a quoted string value for parameter 'lr' (e.g. 'my-value'). Got value 0.1");
    expectInvalid(() => runs('tags.t = abc'), "Expected a quoted string value for tag 't' (e.g. 'my-value'). Got value abc");
    expectInvalid(() => runs('tags.t = `abc`'), 'Got value `abc`');
    expectInvalid(() => runs('status = 1'), 'Expected a quoted string value for attributes. Got value 1');
    expectInvalid(() => runs('datasets.name = 1'), 'Expected a quoted string value for dataset attributes. Got value 1');
  });

  it('requires a list for IN and a single value otherwise', () => {
    expectInvalid(() => runs("run_id IN 'a'"), "Expected a list of quoted string values, e.g. ('a', 'b'), after IN for attribute 'run_id'. Got value 'a'");
    expectInvalid(() => runs("run_id = ('a', 'b')"), "Only the IN and NOT IN comparators accept a list of values; got ('a', 'b')");
  });
});

describe('parseFilter: comparators per kind (runs)', () => {
  const numeric = ['=', '!=', '>', '>=', '<', '<='];
  const keyValue = ['=', '!=', 'LIKE', 'ILIKE'];

  it.each(numeric)('metrics accept %s', (op) => {
    expect(runs(`metrics.m ${op} 1`)[0]!.comparator).toBe(op);
  });

  it.each(numeric)('numeric attributes accept %s', (op) => {
    for (const key of ['start_time', 'end_time', 'created', 'Created']) {
      expect(runs(`attributes.${key} ${op} 1`)[0]!.comparator).toBe(op);
    }
  });

  it.each(keyValue)('params and tags accept %s', (op) => {
    expect(runs(`params.p ${op} 'x'`)[0]!.comparator).toBe(op);
    expect(runs(`tags.t ${op.toLowerCase()} 'x'`)[0]!.comparator).toBe(op);
  });

  it.each([...keyValue, 'IN', 'NOT IN'])('string attributes and datasets accept %s', (op) => {
    const value = op.includes('IN') ? "('x')" : "'x'";
    const keys = op.includes('IN') ? ['run_id'] : ['run_id', 'run_name', 'user_id', 'status', 'artifact_uri'];
    for (const key of keys) {
      expect(runs(`attributes.${key} ${op} ${value}`)[0]!.comparator).toBe(op);
    }
    for (const key of ['name', 'digest', 'context']) {
      expect(runs(`datasets.${key} ${op} ${value}`)[0]!.comparator).toBe(op);
    }
  });

  it('rejects comparators outside each kind', () => {
    expectInvalid(() => runs("metrics.m LIKE '1'"), "Invalid comparator 'LIKE' for metric 'm' in runs search: not one of ['=', '!=', '>', '>=', '<', '<=']");
    expectInvalid(() => runs("metrics.m IN ('1')"), "Invalid comparator 'IN' for metric 'm'");
    expectInvalid(() => runs("params.p > 'x'"), "Invalid comparator '>' for param 'p' in runs search: not one of ['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']");
    expectInvalid(() => runs("tags.t IN ('x')"), "Invalid comparator 'IN' for tag 't'");
    expectInvalid(() => runs("start_time LIKE '1'"), "Invalid comparator 'LIKE' for attribute 'start_time'");
    expectInvalid(() => runs("status > 'x'"), "Invalid comparator '>' for attribute 'status'");
    expectInvalid(() => runs("datasets.name < 'x'"), "Invalid comparator '<' for dataset attribute 'name'");
  });
});

describe('parseFilter: experiments', () => {
  it('accepts name, creation_time, last_update_time and tags', () => {
    const ast = experiments("name LIKE 'exp%' AND creation_time > 5 AND attribute.last_update_time <= 9 AND tags.owner = 'me'");
    expect(ast.map((c) => [c.field.type, c.field.key, c.comparator])).toEqual([
      ['attribute', 'name', 'LIKE'],
      ['attribute', 'creation_time', '>'],
      ['attribute', 'last_update_time', '<='],
      ['tag', 'owner', '='],
    ]);
  });

  it('follows MLflow: string attributes take = != LIKE ILIKE only', () => {
    expectInvalid(() => experiments("name IN ('a')"), "Invalid comparator 'IN' for attribute 'name' in experiments search");
    expectInvalid(() => experiments("tags.t > 'a'"), "Invalid comparator '>' for tag 't'");
    expectInvalid(() => experiments("experiment_id = '1'"), "Invalid attribute key 'experiment_id'");
  });
});

describe('parseFilter: logged models', () => {
  it('accepts attributes (with aliases), metrics, params and tags', () => {
    const ast = models(
      "name = 'm' AND model_type ILIKE 'sk%' AND status != 'FAILED' AND source_run_id = 'r' AND model_id = 'id' " +
        "AND creation_time > 1 AND last_updated_timestamp < 2 AND metrics.acc >= 0.5 AND params.lr = '0.1' AND tags.t LIKE 'x%'",
    );
    expect(ast.map((c) => `${c.field.type}.${c.field.key} ${c.comparator}`)).toEqual([
      'attribute.name =',
      'attribute.model_type ILIKE',
      'attribute.status !=',
      'attribute.source_run_id =',
      'attribute.model_id =',
      'attribute.creation_timestamp >',
      'attribute.last_updated_timestamp <',
      'metric.acc >=',
      'param.lr =',
      'tag.t LIKE',
    ]);
  });

  it('rejects what MLflow rejects for logged models', () => {
    expectInvalid(() => models("name IN ('a')"), "Invalid comparator 'IN' for attribute 'name' in logged models search");
    expectInvalid(() => models("run_name = 'x'"), "Invalid attribute key 'run_name'");
    expectInvalid(() => models('metrics.acc LIKE 1'), "Invalid comparator 'LIKE' for metric 'acc'");
  });
});
