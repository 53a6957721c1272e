import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import proxyaddr from 'proxy-addr';
import { DocumentNode, GraphQLError, GraphQLSchema, Kind, OperationDefinitionNode } from 'graphql';
import { authenticate, bearerToken } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import { RequestContext, type AppServices } from '../context';
import { migrationsApplied } from '../db/orm';
import { currentSqlCount, withSqlCounter } from '../db/sql-counter';
import { AppError, formatError, logInternalError, sentErrorCodes, sentUserErrorCodes } from '../graphql/errors';
import { corsMiddleware } from './cors';
import { admitOperation, limitRules, parseOptions, type OperationCost } from './limits';
import { playgroundRouter } from './playground';
import { CostBuckets } from './rate-limit';
import { requestErrorHandler, requireJsonObjectBody } from './request-errors';
import { startWebSocketServer } from './websocket';

export interface HttpServer {
  server: http.Server;
  /** Stops accepting, drains HTTP requests and WebSocket subscriptions. */
  stop(): Promise<void>;
}

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/** The operation's name, or for an anonymous one its type and root fields ("query me,users"). */
function operationLabel(document: DocumentNode | undefined, operationName: string | null | undefined): string | null {
  if (operationName) return operationName;
  const operation = document?.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return null;
  const fields = operation.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return `${operation.operation} ${fields.join(',')}`;
}

/**
 * Logs one line per request, marks the answer uncacheable, and adds the cost (and, in tests, the SQL statement count) to `extensions`. An internal
 * error is logged here, where the request id is known (Apollo's formatError has no context), and its response
 * carries that id.
 */
function requestPlugin(app: AppServices, buckets: CostBuckets): ApolloServerPlugin<RequestContext> {
  const { config, logger } = app;
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      let cost: OperationCost | undefined;
      return {
        async didResolveOperation({ document, request, operationName, schema }) {
          cost = admitOperation(schema, document, request.variables, operationName, config, buckets, contextValue);
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) logInternalError(app.logger, contextValue.requestId, error);
        },
        async willSendResponse({ response, operationName, document }) {
          // Answers are per caller: no shared cache (a proxy, a CDN) may keep one.
          response.http.headers.set('cache-control', 'no-store');
          const sent = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (response.body.kind === 'single') {
            for (const error of response.body.singleResult.errors ?? []) {
              if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') (error.extensions as Record<string, unknown>).requestId = contextValue.requestId;
            }
            const extensions = (response.body.singleResult.extensions ??= {});
            if (cost) extensions.cost = cost;
            if (config.exposeSqlCount) extensions.sqlStatements = currentSqlCount();
          }
          logger.info(
            {
              requestId: contextValue.requestId,
              operation: operationLabel(document, operationName),
              principal: contextValue.principal?.kind ?? 'ANONYMOUS',
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
              // As sent: formatError has already shaped them (a raw error's code may differ from what the client got).
              errors: sentErrorCodes(sent.errors),
              userErrors: sentUserErrorCodes(sent.data),
            },
            'graphql request',
          );
        },
      };
    },
  };
}

/** Creates the context of one HTTP request; a bad token is UNAUTHENTICATED with status 401. */
async function httpContext(app: AppServices, req: express.Request): Promise<RequestContext> {
  let principal: Principal | undefined;
  try {
    principal = await authenticate(app, bearerToken(req.headers.authorization));
  } catch (error) {
    if (error instanceof AppError) {
      // Apollo's plugins never see a request refused here, so its log line is written now.
      app.logger.info({ requestId: req.requestId, principal: 'INVALID_CREDENTIAL', errors: ['UNAUTHENTICATED'] }, 'graphql request');
      throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    // Apollo's plugins never see this request either: log here and let the response carry the request id.
    logInternalError(app.logger, req.requestId, error);
    throw new GraphQLError('Internal server error', { originalError: error as Error, extensions: { requestId: req.requestId } });
  }
  return RequestContext.forRequest(app, principal, req.requestId, req.ip);
}

/** Express 5 + Apollo Server + graphql-ws on one port: GraphQL over HTTP and WebSocket at /graphql. */
export async function startHttpServer(app: AppServices, schema: GraphQLSchema, port: number): Promise<HttpServer> {
  const { config, logger } = app;
  const expressApp = express();
  expressApp.disable('x-powered-by');
  // No ETag: express would hash every response body (about 1 % of a `me` request's CPU) for a validator that POSTed
  // GraphQL answers never use; the playground's assets are cached for good by their hashed paths.
  expressApp.set('etag', false);
  expressApp.set('trust proxy', config.trustProxy);
  const buckets = new CostBuckets(config);
  const server = http.createServer(expressApp);

  // The WebSocket upgrade request is not an express request: its client address is found with express's own rule.
  const clientIp = (request: http.IncomingMessage) => proxyaddr(request, expressApp.get('trust proxy fn'));
  const websocket = startWebSocketServer(app, schema, server, { buckets, clientIp });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    parseOptions: parseOptions(config),
    validationRules: limitRules(config),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown and its order
    formatError: (formatted, error) => formatError(formatted, error, { hideSchemaDetails: !config.introspection }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { async serverWillStart() { return { async drainServer() { await websocket.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(), // the playground is our own page (./playground.ts)
      // Apollo's cache-control plugin runs a hook for every field resolved (1 % of a workbench read's CPU) to compute
      // cache hints this API never gives; requestPlugin sends the `cache-control: no-store` the plugin would send.
      ApolloServerPluginCacheControlDisabled(),
      requestPlugin(app, buckets),
    ],
  });
  await apollo.start();

  expressApp.use((req, res, next) => {
    req.requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.setHeader('x-request-id', req.requestId);
    // The counter's AsyncLocalStorage costs on every promise; only tests ask for it.
    if (config.exposeSqlCount) withSqlCounter(next);
    else next();
  });
  expressApp.use('/graphql', corsMiddleware(config));
  if (config.playground) expressApp.use(playgroundRouter());
  expressApp.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  expressApp.get('/readyz', async (_req, res) => {
    try {
      await app.orm.em.getConnection().execute('select 1');
      if (!(await migrationsApplied(app.orm))) {
        res.status(503).json({ status: 'unavailable', reason: 'migrations pending' });
        return;
      }
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
  expressApp.use(
    '/graphql',
    // not strict: a body of valid JSON that is no object is then refused as such, not as "not JSON"
    express.json({ limit: '5mb', strict: false }),
    requireJsonObjectBody(logger),
    expressMiddleware(apollo, { context: async ({ req }) => httpContext(app, req) }),
  );
  expressApp.use(requestErrorHandler(logger));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    server,
    stop() {
      stopping ??= apollo.stop();
      return stopping;
    },
  };
}
