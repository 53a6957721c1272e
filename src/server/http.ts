import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import proxyaddr from 'proxy-addr';
import { DocumentNode, GraphQLError, GraphQLFormattedError, GraphQLSchema, Kind, OperationDefinitionNode } from 'graphql';
import { authenticate, bearerToken } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import { RequestContext, type AppServices } from '../context';
import { migrationsApplied } from '../db/orm';
import { currentSqlCount, withSqlCounter } from '../db/sql-counter';
import { AppError, formatError, loggableError, sentErrorCodes, sentUserErrorCodes } from '../graphql/errors';
import { corsMiddleware } from './cors';
import { checkOperationLimits, limitRules, parseOptions, type OperationCost } from './limits';
import { playgroundRouter } from './playground';
import { chargeBudget, CostBuckets } from './rate-limit';
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

/** Logs one line per request and adds the cost (and, in tests, the SQL statement count) to `extensions`. */
function requestPlugin(app: AppServices, buckets: CostBuckets): ApolloServerPlugin<RequestContext> {
  const { config, logger } = app;
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      let cost: OperationCost | undefined;
      return {
        async didResolveOperation({ document, request, operationName, schema }) {
          cost = checkOperationLimits(schema, document, request.variables, operationName, config);
          chargeBudget(buckets, contextValue, cost);
        },
        async willSendResponse({ response, operationName, document }) {
          const sent = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (response.body.kind === 'single') {
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
    throw error;
  }
  return RequestContext.forRequest(app, principal, req.requestId, req.ip);
}

/** Express 5 + Apollo Server + graphql-ws on one port: GraphQL over HTTP and WebSocket at /graphql. */
export async function startHttpServer(app: AppServices, schema: GraphQLSchema, port: number): Promise<HttpServer> {
  const { config, logger } = app;
  const development = config.nodeEnv === 'development';
  const expressApp = express();
  expressApp.disable('x-powered-by');
  expressApp.set('trust proxy', config.trustProxy);
  const buckets = new CostBuckets(config);
  const server = http.createServer(expressApp);

  const shapeError = (formatted: GraphQLFormattedError, error: unknown) =>
    formatError(formatted, error, {
      development,
      onInternalError: (cause) => logger.error({ err: loggableError(cause) }, 'internal error'),
    });

  // The WebSocket upgrade request is not an express request: its client address is found with express's own rule.
  const clientIp = (request: http.IncomingMessage) => proxyaddr(request, expressApp.get('trust proxy fn'));
  const websocket = startWebSocketServer(app, schema, server, { shapeError, buckets, clientIp });

  const apollo = new ApolloServer<RequestContext>({
    schema,
    parseOptions: parseOptions(config),
    validationRules: limitRules(config),
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown and its order
    formatError: shapeError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { async serverWillStart() { return { async drainServer() { await websocket.dispose(); } }; } },
      ApolloServerPluginLandingPageDisabled(), // the playground is our own page (./playground.ts)
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
    express.json({ limit: '5mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => httpContext(app, req) }),
  );

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
