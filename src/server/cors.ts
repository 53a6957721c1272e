import type { IncomingMessage } from 'node:http';
import cors from 'cors';
import type { RequestHandler } from 'express';
import type { Config } from '../config';

/** Development's default (no CORS_ORIGINS): a front end served from this machine, on any port. */
const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;

/** Whether a browser page of `origin` may call the API (CORS_ORIGINS, or localhost in development). */
export function originAllowed(config: Config, origin: string): boolean {
  return config.corsOrigins.includes(origin) || (config.corsAllowLocalhost && LOCALHOST_ORIGIN.test(origin));
}

/**
 * WebSocket upgrades are not covered by CORS: a page of any origin may open one, so the Origin a browser sends is
 * checked here. No Origin is a non-browser client (a partner's server, a test), allowed as over HTTP; a page of this
 * server itself (the playground) is same-origin.
 */
export function webSocketOriginAllowed(config: Config, request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (URL.canParse(origin) && new URL(origin).host === request.headers.host) return true;
  return originAllowed(config, origin);
}

/**
 * CORS for /graphql through the `cors` package. Credentials (cookies) are not allowed: the API authenticates with a
 * bearer token in Authorization, which a cross-origin fetch sends once the preflight allowed the header. A preflight
 * from an origin that is not allowed gets 403 with a GraphQL-style error that names the setting (seen in the
 * browser's network panel); other requests from it are served without CORS headers, so the browser hides the answer.
 */
export function corsMiddleware(config: Config): RequestHandler {
  const handleCors = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && originAllowed(config, origin)),
    methods: ['GET', 'POST'],
    // apollo-require-preflight and x-apollo-operation-name let a GET or multipart request past Apollo's CSRF prevention.
    allowedHeaders: ['Authorization', 'Content-Type', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'],
    exposedHeaders: ['x-request-id', 'Retry-After'],
    credentials: false,
    // Chromium caps a cached preflight at 2 hours, Firefox at 24.
    maxAge: 7200,
  });
  return (req, res, next) => {
    // Whether CORS headers are sent depends on Origin, for allowed and refused origins alike: caches must key on it.
    res.vary('Origin');
    handleCors(req, res, (error?: unknown) => {
      if (error) return next(error);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
        res.status(403).json({
          errors: [{ message: `Origin ${req.headers.origin ?? '(none)'} is not allowed to call this API from a browser (CORS_ORIGINS)`, extensions: { code: 'FORBIDDEN' } }],
        });
        return;
      }
      next();
    });
  };
}
