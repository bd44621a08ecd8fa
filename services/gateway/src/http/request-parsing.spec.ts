import { z } from 'zod';
import { CairnError } from '@cairn/contracts';
import { parseRequest, queryString, wire } from './request-parsing';

const schema = z.object({ name: z.string(), experiment_id: queryString.optional(), n: z.number().int().optional() });

function errorOf(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (err) {
    return err as CairnError;
  }
  throw new Error('no error');
}

describe('parseRequest', () => {
  it('passes a valid message through and takes the first of repeated query keys', () => {
    expect(parseRequest(schema, { name: 'a', experiment_id: ['1', '2'] })).toEqual({ name: 'a', experiment_id: '1' });
  });

  it('names a missing required parameter', () => {
    const e = errorOf(() => parseRequest(schema, {}));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/^Missing value for required parameter 'name'/);
  });

  it('names a parameter of the wrong type, with its value', () => {
    const e = errorOf(() => parseRequest(schema, { name: 'a', n: 'five' }));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toMatch(/Invalid value "five" for parameter 'n'/);
  });

  it('rejects a body that is not an object as BAD_REQUEST', () => {
    expect(errorOf(() => parseRequest(schema, [1])).code).toBe('BAD_REQUEST');
    expect(errorOf(() => parseRequest(schema, null)).code).toBe('BAD_REQUEST');
  });
});

describe('wire types', () => {
  it('reads int64 from numbers and decimal strings', () => {
    expect(wire.int64.parse('1700000000000')).toBe(1700000000000);
    expect(wire.int64.parse(5)).toBe(5);
    expect(wire.int64.safeParse('5.5').success).toBe(false);
    expect(wire.int64.safeParse('9007199254740993').success).toBe(false);
  });

  it('reads protobuf JSON doubles', () => {
    expect(wire.double.parse('NaN')).toBeNaN();
    expect(wire.double.parse('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(wire.double.parse(0.5)).toBe(0.5);
    expect(wire.double.safeParse('abc').success).toBe(false);
  });

  it('reads booleans and repeated query keys', () => {
    expect(wire.bool.parse('true')).toBe(true);
    expect(wire.repeated.parse('a')).toEqual(['a']);
    expect(wire.repeated.parse(['a', 'b'])).toEqual(['a', 'b']);
    expect(wire.repeated.parse(undefined)).toEqual([]);
  });
});
