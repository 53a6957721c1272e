import type http from 'node:http';
import { GraphQLError, GraphQLSchema, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { authenticate, bearerToken } from '../auth/authenticate';
import { ACCESS_REVOKED } from '../auth/events';
import { isConcernedBy, type Principal } from '../auth/principal';
import { RequestContext, type AppServices } from '../context';
import { AppError, formatError, logInternalError, sentErrorCodes } from '../graphql/errors';
import { webSocketOriginAllowed } from './cors';
import { admitOperation, limitRules, parseOptions } from './limits';
import type { CostBuckets } from './rate-limit';

/** Close code for a connection whose credential is bad or was revoked (graphql-ws leaves 4400–4499 to servers). */
export const CLOSE_UNAUTHORIZED = 4401;

interface Connection {
  socket: WebSocket;
  /** Kept to authenticate again: before each operation and on every sweep. */
  token?: string;
  clientIp?: string;
  principal?: Principal;
}

/**
 * graphql-ws at /graphql on the HTTP server. A connection authenticates once, from `connectionParams.authorization`
 * ("Bearer …") or `connectionParams.token`; each subscription then gets its own RequestContext. Because that
 * authentication is not repeated, every instance closes the connections whose session, key or user is revoked,
 * deactivated or changes role (the identity.accessRevoked event, sent from whichever instance made the change).
 */
export function startWebSocketServer(
  app: AppServices,
  schema: GraphQLSchema,
  server: http.Server,
  options: {
    /** The HTTP server's budgets: an operation costs the same over either transport. */
    buckets: CostBuckets;
    clientIp: (request: http.IncomingMessage) => string;
  },
): { dispose(): Promise<void> } {
  const { buckets } = options;
  // Apollo refuses introspection over HTTP when it is off; operations over the socket are validated here.
  const rules = [...specifiedRules, ...limitRules(app.config), ...(app.config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const { config, logger } = app;
  const connections = new Set<Connection>();

  /** Checks the connection's credential again; closes the connection (4401) and answers false when it failed. */
  async function reauthenticate(connection: Connection): Promise<boolean> {
    try {
      connection.principal = await authenticate(app, connection.token);
      return true;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      connection.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: ' + error.message);
      return false;
    }
  }
  const wsServer = new WebSocketServer({
    server,
    path: '/graphql',
    // A browser page of another origin is refused like a CORS preflight; clients that send no Origin are not browsers.
    verifyClient: ({ req }, accept) => {
      if (webSocketOriginAllowed(config, req)) return accept(true);
      logger.info({ origin: req.headers.origin, transport: 'websocket' }, 'websocket refused: origin not allowed');
      accept(false, 403, 'Origin not allowed');
    },
  });

  const cleanup = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      async onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization) ?? (typeof params.token === 'string' ? params.token : undefined);
        const connection: Connection = { socket: ctx.extra.socket, token, clientIp: options.clientIp(ctx.extra.request) };
        (ctx.extra as { connection?: Connection }).connection = connection;
        if (!(await reauthenticate(connection))) return false;
        connections.add(connection);
        ctx.extra.socket.once('close', () => connections.delete(connection));
        return true;
      },
      context: (ctx) => {
        const connection = (ctx.extra as { connection?: Connection }).connection;
        return RequestContext.forRequest(app, connection?.principal, undefined, connection?.clientIp);
      },
      async onSubscribe(ctx, _id, payload) {
        const connection = (ctx.extra as { connection?: Connection }).connection!;
        if (!(await reauthenticate(connection))) return [AppError.unauthenticated('The credential is no longer valid')];
        logger.info({ principal: connection.principal?.kind ?? 'ANONYMOUS', operation: payload.operationName ?? null, transport: 'websocket' }, 'graphql request');
        // Parse, validate, check text, price and charge operations as HTTP does (same limits, same budget); refusals
        // are returned to the client, shaped like HTTP errors but without the HTTP status.
        const refuse = (errors: readonly GraphQLError[]) => {
          const refusals = errors.map((error) => {
            const shaped = formatError(error.toJSON(), error, { hideSchemaDetails: !app.config.introspection });
            const { http: _http, ...extensions } = shaped.extensions ?? {};
            return new GraphQLError(shaped.message, { nodes: error.nodes, extensions });
          });
          logger.info({ operation: payload.operationName ?? null, transport: 'websocket', errors: sentErrorCodes(refusals) }, 'graphql errors');
          return refusals;
        };
        try {
          const document = parse(payload.query, parseOptions(config));
          const invalid = validate(schema, document, rules);
          if (invalid.length) return refuse(invalid);
          admitOperation(schema, document, payload.variables ?? undefined, payload.operationName, config, buckets, connection);
          const args: ExecutionArgs = { schema, document, variableValues: payload.variables, operationName: payload.operationName };
          return args;
        } catch (error) {
          if (error instanceof GraphQLError) return refuse([error]);
          throw error;
        }
      },
      // Subscription results get the same error shaping as HTTP responses (codes, no internals, the request id of
      // an internal error, whose details are logged with it).
      onNext(_ctx, _id, payload, args, result) {
        if (!('errors' in result) || !result.errors?.length) return undefined;
        const { requestId } = args.contextValue as RequestContext;
        const errors = result.errors.map((error) => {
          logInternalError(logger, requestId, error);
          const shaped = formatError(error.toJSON(), error, { hideSchemaDetails: !app.config.introspection });
          if (shaped.extensions?.code === 'INTERNAL_SERVER_ERROR') return { ...shaped, extensions: { ...shaped.extensions, requestId } };
          return shaped;
        });
        logger.info({ requestId, operation: payload.operationName ?? null, transport: 'websocket', errors: sentErrorCodes(errors) }, 'graphql errors');
        return { ...result, errors: errors as GraphQLError[] };
      },
    },
    wsServer,
  );

  const stopRevocations = app.events.listen((event) => {
    if (event.topic !== ACCESS_REVOKED.topic) return;
    for (const connection of connections) {
      if (isConcernedBy(connection.principal, event.refs)) {
        connection.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: the credential was revoked or its rights changed; reconnect');
      }
    }
  });

  const sweep = setInterval(() => {
    for (const connection of connections) {
      if (connection.token) reauthenticate(connection).catch((error) => logger.warn({ err: (error as Error).message }, 'websocket re-authentication failed'));
    }
  }, config.wsReauthSeconds * 1000);
  sweep.unref();

  return {
    async dispose() {
      clearInterval(sweep);
      stopRevocations();
      await cleanup.dispose();
    },
  };
}
