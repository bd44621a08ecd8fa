import { z } from 'zod';
import { CairnError } from '@cairn/contracts';
import { parseRequest, queryString } from './request-parsing';

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
