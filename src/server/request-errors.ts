import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loggableError } from '../graphql/errors';

/** What a refused request body answers: its status, a reason a program can branch on, and a fixed sentence. */
interface BodyRefusal {
  status: number;
  reason: string;
  message: string;
}

/**
 * body-parser's error types (`error.type`), answered with fixed sentences: its own messages quote the body (a JSON
 * SyntaxError shows the text around the fault, which may be a password), so neither the client nor the log sees them.
 */
const BODY_REFUSALS: Record<string, BodyRefusal> = {
  'entity.parse.failed': { status: 400, reason: 'BODY_NOT_JSON', message: 'The request body is not valid JSON' },
  'entity.too.large': { status: 413, reason: 'BODY_TOO_LARGE', message: 'The request body is larger than the server accepts' },
  'charset.unsupported': { status: 415, reason: 'UNSUPPORTED_CHARSET', message: 'The request body must be UTF-8 JSON' },
  'encoding.unsupported': { status: 415, reason: 'UNSUPPORTED_ENCODING', message: 'The request body has a content encoding the server does not accept' },
  'request.size.invalid': { status: 400, reason: 'BODY_INCOMPLETE', message: 'The request body is shorter or longer than its Content-Length' },
  'request.aborted': { status: 400, reason: 'BODY_INCOMPLETE', message: 'The request body was not sent completely' },
};

const NOT_AN_OBJECT: BodyRefusal = {
  status: 400,
  reason: 'BODY_NOT_OBJECT',
  message: 'The request body must be a JSON object such as {"query": "…", "variables": {…}}',
};

/** A GraphQL-over-HTTP error response, as Apollo's own: JSON with `errors`, a code and the request id. */
function sendRefusal(res: Parameters<RequestHandler>[1], requestId: string, refusal: BodyRefusal): void {
  res.status(refusal.status).json({
    errors: [{ message: refusal.message, extensions: { code: 'BAD_USER_INPUT', reason: refusal.reason, requestId } }],
  });
}

/**
 * After express.json(): a JSON body must be an object (one operation). express.json() itself accepts arrays
 * (batches, which are off) and, unless strict, primitives; both are answered here instead of by Apollo as text.
 */
export function requireJsonObjectBody(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.body;
    if (req.method !== 'POST' || body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body))) {
      next();
      return;
    }
    logger.info({ requestId: req.requestId, status: NOT_AN_OBJECT.status, errors: ['BAD_USER_INPUT'], reason: NOT_AN_OBJECT.reason }, 'graphql request');
    sendRefusal(res, req.requestId, NOT_AN_OBJECT);
  };
}

/**
 * The last error handler, in place of express's default one, which answers an HTML page with the stack trace and
 * absolute paths and prints the error (for a parse error: the body, passwords included) to stderr. A refused body
 * is one log line without the body; anything else is an internal error, logged with the request id.
 */
export function requestErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const refusal = BODY_REFUSALS[(error as { type?: string })?.type ?? ''];
    if (refusal) {
      logger.info({ requestId: req.requestId, status: refusal.status, errors: ['BAD_USER_INPUT'], reason: refusal.reason }, 'graphql request');
      sendRefusal(res, req.requestId, refusal);
      return;
    }
    logger.error({ requestId: req.requestId, err: loggableError(error) }, 'internal error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: req.requestId } }] });
  };
}
