import { BadRequestException, NotFoundException, UnsupportedMediaTypeException } from '@nestjs/common';
import { CairnError } from '@cairn/contracts';
import { toCairnError } from './mlflow-exception.filter';

describe('toCairnError', () => {
  it('keeps domain errors as they are', () => {
    const error = CairnError.notFound('x');
    expect(toCairnError(error, '/p')).toBe(error);
  });

  it.each([
    ['an unknown route', new NotFoundException(), 'ENDPOINT_NOT_FOUND', 404],
    ['a wrong content type', new UnsupportedMediaTypeException(), 'INVALID_PARAMETER_VALUE', 400],
    ['malformed JSON (Nest-wrapped)', new BadRequestException("Body is not valid JSON but content-type is set to 'application/json'"), 'INVALID_PARAMETER_VALUE', 400],
    ['malformed JSON (SyntaxError)', new SyntaxError('Unexpected end of JSON input'), 'INVALID_PARAMETER_VALUE', 400],
    ['another 4xx from the framework', new BadRequestException('nope'), 'BAD_REQUEST', 400],
    ['an unexpected failure', new Error('boom'), 'INTERNAL_ERROR', 500],
  ])('maps %s', (_what, exception, code, status) => {
    const error = toCairnError(exception, '/api/2.0/mlflow/x');
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(status);
  });

  it('never leaks an internal message', () => {
    expect(toCairnError(new Error('password=hunter2'), '/p').message).toBe('Internal error');
  });
});
