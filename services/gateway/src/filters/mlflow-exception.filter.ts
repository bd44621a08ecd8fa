import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CairnError, ErrorCode } from '@cairn/contracts';
import { LOGGER, Logger } from '@cairn/observability';

/** Fastify's own request errors, by code, as MLflow answers them. */
const CONTENT_TYPE_MESSAGE = "Bad Request. Content-Type must be one of ['application/json'].";

const FASTIFY_ERRORS: Partial<Record<string, { code: ErrorCode; message?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'INVALID_PARAMETER_VALUE', message: CONTENT_TYPE_MESSAGE },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST' },
  // MLflow reads an unparsable body as {} and fails on the first required field: INVALID_PARAMETER_VALUE.
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_PARAMETER_VALUE', message: 'Malformed request: the JSON body is empty.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'INVALID_PARAMETER_VALUE', message: 'Request body is too large.' },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'INVALID_PARAMETER_VALUE',
    message: 'Malformed request: the body is not valid JSON.',
  },
};

/** Maps any failure to MLflow's error body and HTTP status; never leaks a stack. */
export function toCairnError(exception: unknown, path: string): CairnError {
  if (exception instanceof CairnError) return exception;
  if (exception instanceof NotFoundException) {
    return new CairnError('ENDPOINT_NOT_FOUND', `No API endpoint matches ${path}`);
  }
  const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown }).statusCode;
  if (status === 415) return new CairnError('INVALID_PARAMETER_VALUE', CONTENT_TYPE_MESSAGE);
  const fastifyCode = (exception as { code?: unknown }).code;
  const known = typeof fastifyCode === 'string' ? FASTIFY_ERRORS[fastifyCode] : undefined;
  if (known) return new CairnError(known.code, known.message ?? (exception as Error).message);
  // Body parse failures reach here as SyntaxError or as Nest's 400 wrapping Fastify's parser error.
  const message = exception instanceof Error ? exception.message : '';
  if (exception instanceof SyntaxError || (status === 400 && /JSON/.test(message))) {
    return new CairnError('INVALID_PARAMETER_VALUE', `Malformed request: the body is not valid JSON (${message})`);
  }
  if ((exception as { statusCode?: number }).statusCode === 400) {
    return new CairnError('BAD_REQUEST', `Malformed request: ${(exception as Error).message}`);
  }
  if (exception instanceof HttpException && exception.getStatus() < 500) {
    return new CairnError('BAD_REQUEST', exception.message);
  }
  return CairnError.internal('Internal error');
}

@Catch()
export class MlflowExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = toCairnError(exception, request.url.split('?')[0] ?? request.url);
    if (error.httpStatus >= 500) {
      this.logger.error(
        { err: exception instanceof Error ? exception.stack : String(exception), url: request.url },
        'request failed',
      );
    }
    void reply.status(error.httpStatus).header('content-type', 'application/json').send(error.toJSON());
  }
}
