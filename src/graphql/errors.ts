import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AuthenticationError, AuthorizationError } from 'type-graphql';

/** The only codes a thrown GraphQL error carries. Bad input inside a mutation is a userError instead. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'THROTTLED'
  | 'EVENTS_INTERRUPTED'
  | 'EVENTS_EXPIRED'
  | 'INTERNAL_SERVER_ERROR';

const OUR_CODES = new Set<string>(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'THROTTLED']);

/** A coded error thrown from a resolver or service; reaches the client as `extensions.code`. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }

  static unauthenticated(message = 'Sign in first: send "Authorization: Bearer <session token or API key>"') {
    return new AppError('UNAUTHENTICATED', message);
  }

  /**
   * A permission the caller lacks. `extensions.requiredPermissions` lists what the field or action needs and
   * `extensions.missingPermissions` what of it the caller does not hold, so a frontend can say which right to ask
   * for (and hide what needs it); names as in the `permissions` query, e.g. customers:write.
   */
  static forbidden(requiredPermissions: string[], missingPermissions: string[] = requiredPermissions) {
    return new AppError('FORBIDDEN', `You do not have permission to do this: ${missingPermissions.join(' and ')} is missing`, {
      requiredPermissions, missingPermissions,
    });
  }

  /**
   * A guest (src/auth/guest-tokens.ts) asked for what only the workspace's staff may do. No permission is named:
   * none could be granted to a guest token.
   */
  static staffOnly() {
    return new AppError('FORBIDDEN', 'A guest token cannot do this: it needs a session token or an API key');
  }

  /** Unknown ids, ids of the wrong type and ids of another workspace all look the same. */
  static notFound(typeName: string) {
    return new AppError('NOT_FOUND', `${typeName} not found`);
  }
}

/** Postgres and network failures that mean "the database is not there right now". */
function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; name?: string } | undefined;
  if (!e) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '3D000'].includes(e.code ?? '')) {
    return true;
  }
  if (e.name === 'ConnectionException') return true;
  return /Connection terminated|Connection ended unexpectedly|connect ECONNREFUSED|Timeout acquiring a connection|not currently accepting connections|terminating connection|database system is (starting up|shutting down)/i.test(
    e.message ?? '',
  );
}

function rootCause(error: unknown): unknown {
  let current = error as { originalError?: unknown; cause?: unknown } | undefined;
  while (current && (current.originalError || (current as any).cause)) {
    current = (current.originalError ?? (current as any).cause) as typeof current;
  }
  return current;
}

/**
 * What of an unexpected error goes to the log: its kind, code and database message, and the stack frames, but not
 * the SQL text the ORM puts in its messages, whose parameters may be customers' personal data.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  const e = error as { name?: string; code?: string; message?: string; stack?: string } | undefined;
  if (!e || typeof e !== 'object') return { message: String(error) };
  const message = e.message ?? '';
  // MikroORM's driver exceptions read "<sql> - <database message>"
  const databaseMessage = message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  return {
    type: e.name,
    code: e.code,
    message: /\b(select|insert|update|delete|with)\b/i.test(databaseMessage) ? '[statement omitted]' : databaseMessage,
    stack: e.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).join('\n'),
  };
}

/** How an error reaches the client: a public code (message kept unless given), or internal with its cause. */
type Classified =
  | { internal: false; code: ErrorCode; message?: string; reason?: string; passThrough?: boolean }
  | { internal: true; cause: unknown; databaseUnavailable: boolean };

const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** Classifies a raw error (as thrown, before Apollo or graphql-ws formats it). */
function classify(error: unknown): Classified {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const code = graphqlError?.extensions?.code as string | undefined;
  if (original instanceof AuthenticationError) return { internal: false, code: 'UNAUTHENTICATED', message: AppError.unauthenticated().message };
  // The authChecker throws AppError.forbidden naming the permissions; this is type-graphql's own, should it ever come.
  if (original instanceof AuthorizationError) return { internal: false, code: 'FORBIDDEN', message: 'You do not have permission to do this' };
  if (original instanceof AppError || (graphqlError && !graphqlError.originalError && OUR_CODES.has(code ?? ''))) {
    return { internal: false, code: code as ErrorCode, passThrough: true };
  }
  if (REQUEST_ERROR_CODES.has(code ?? '')) return { internal: false, code: 'BAD_USER_INPUT', reason: code };
  // graphql-js's own request errors (variable coercion) have neither an original error nor a path; a GraphQLError
  // it makes during execution (a null for a non-null field) has a path and is a bug.
  if (code === 'BAD_USER_INPUT' || (graphqlError && !graphqlError.originalError && !graphqlError.path && code === undefined)) {
    return { internal: false, code: 'BAD_USER_INPUT' };
  }
  const cause = rootCause(error);
  return { internal: true, cause, databaseUnavailable: isDatabaseUnavailable(cause) };
}

/**
 * The cause of an error that reaches the client as INTERNAL_SERVER_ERROR (a bug or an outage); undefined for an
 * expected error.
 */
function internalErrorCause(error: unknown): unknown {
  const classified = classify(error);
  return classified.internal ? classified.cause : undefined;
}

/**
 * Logs the details of an error that reaches the client as INTERNAL_SERVER_ERROR, with the request id the response
 * carries; nothing for an expected error. Called by the transports, which know the request.
 */
export function logInternalError(logger: Logger, requestId: string, error: unknown): void {
  const cause = internalErrorCause(error);
  if (cause !== undefined) logger.error({ requestId, err: loggableError(cause) }, 'internal error');
}

/**
 * The one place where errors become what the client sees. Known codes pass through; GraphQL syntax and validation
 * failures become BAD_USER_INPUT (their own code kept as `reason`); type-graphql's auth errors get our codes;
 * everything else is INTERNAL_SERVER_ERROR saying only "Internal server error", in every mode: no message details,
 * SQL or stack. Its details are logged by the transport with the request id (see internalErrorCause), which adds
 * `extensions.requestId` to the response so that a report can be matched to the log line.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  options: { hideSchemaDetails: boolean },
): GraphQLFormattedError {
  const shaped = shapeError(formatted, error);
  // With introspection off (production), graphql-js's "Did you mean …?" hints would reveal the schema one guess at
  // a time: field, argument and type names from validation, input fields and enum values from variable coercion.
  // Apollo's hideSchemaDetailsFromClientErrors covers validation over HTTP only; both transports shape errors here.
  return options.hideSchemaDetails ? { ...shaped, message: shaped.message.replace(/ ?Did you mean .+\?$/, '') } : shaped;
}

function shapeError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const classified = classify(error);
  const publicShape = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}) => ({
    message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...extra, code },
  });
  if (classified.internal) {
    const requestId = formatted.extensions?.requestId; // set where the request id is known before formatting
    const extra = requestId === undefined ? {} : { requestId };
    return classified.databaseUnavailable
      ? publicShape('INTERNAL_SERVER_ERROR', 'The database is unavailable; try again shortly', { ...extra, reason: 'DATABASE_UNAVAILABLE' })
      : publicShape('INTERNAL_SERVER_ERROR', 'Internal server error', extra);
  }
  if (classified.passThrough) {
    // graphql-ws formats with toJSON(), which keeps the `http` hint Apollo strips
    const { stacktrace, http, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions };
  }
  return publicShape(classified.code, classified.message ?? formatted.message, classified.reason ? { reason: classified.reason } : {});
}

/**
 * The codes of errors as the client receives them (after formatError), for the log line of a request: the log
 * and the response must name the same code, so a report from a frontend can be matched with the log.
 */
export function sentErrorCodes(errors: readonly GraphQLFormattedError[] | undefined): string[] | undefined {
  return errors?.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
}

/**
 * The userError codes in a response's data: those of the root fields' payloads (`userErrors { code }`), as the
 * client selected them. Cheap (one level of the result) and enough to see in the log what mutations refused.
 */
export function sentUserErrorCodes(data: Record<string, unknown> | null | undefined): string[] | undefined {
  const codes = Object.values(data ?? {}).flatMap((payload) => {
    const userErrors = (payload as { userErrors?: unknown } | null)?.userErrors;
    return Array.isArray(userErrors) ? userErrors.flatMap((e) => (typeof e?.code === 'string' ? [e.code] : [])) : [];
  });
  return codes.length ? codes : undefined;
}
