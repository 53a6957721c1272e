import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticate, bearerToken } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import { RequestContext, type AppServices } from '../context';
import { migrationsApplied } from '../db/orm';
import { currentSqlCount, withSqlCounter } from '../db/sql-counter';
import { AppError, formatError } from '../graphql/errors';
import { checkOperationLimits, type OperationCost } from './limits';

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

/** Logs one line per request and adds the cost (and, in tests, the SQL statement count) to `extensions`. */
function requestPlugin(app: AppServices): ApolloServerPlugin<RequestContext> {
  const { config, logger } = app;
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      let cost: OperationCost | undefined;
      return {
        async didResolveOperation({ document, request, operationName, schema }) {
          cost = checkOperationLimits(schema, document, request.variables, operationName, {
            maxDepth: config.maxQueryDepth,
            maxCost: config.maxQueryCost,
          });
        },
        async willSendResponse({ response, operationName, errors }) {
          if (response.body.kind === 'single') {
            const extensions = (response.body.singleResult.extensions ??= {});
            if (cost) extensions.cost = cost;
            if (config.exposeSqlCount) extensions.sqlStatements = currentSqlCount();
          }
          logger.info(
            {
              requestId: contextValue.requestId,
              operation: operationName ?? null,
              principal: contextValue.principal?.kind ?? 'ANONYMOUS',
              durationMs: Number(process.hrtime.bigint() - started) / 1e6,
              errors: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
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
      throw new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
    throw error;
  }
  return RequestContext.forRequest(app, principal, req.requestId);
}

/** Express 5 + Apollo Server + graphql-ws on one port: GraphQL over HTTP and WebSocket at /graphql. */
export async function startHttpServer(app: AppServices, schema: GraphQLSchema, port: number): Promise<HttpServer> {
  const { config, logger } = app;
  const development = config.nodeEnv === 'development';
  const expressApp = express();
  expressApp.disable('x-powered-by');
  const server = http.createServer(expressApp);

  const shapeError = (formatted: GraphQLFormattedError, error: unknown) =>
    formatError(formatted, error, {
      development,
      onInternalError: (cause) => logger.error({ err: cause }, 'internal error'),
    });

  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { principal?: Principal }>(
    {
      schema,
      // The same token rules as HTTP, from connectionParams.authorization ("Bearer …") or connectionParams.token.
      async onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization) ?? (typeof params.token === 'string' ? params.token : undefined);
        try {
          (ctx.extra as { principal?: Principal }).principal = await authenticate(app, token);
          return true;
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          ctx.extra.socket.close(4401, 'Unauthorized: ' + error.message);
          return false;
        }
      },
      context: (ctx) => RequestContext.forRequest(app, (ctx.extra as { principal?: Principal }).principal),
      onSubscribe(_ctx, _id, payload) {
        // Price subscriptions like HTTP operations; errors here are returned to the client, not thrown.
        try {
          checkOperationLimits(schema, parse(payload.query), payload.variables ?? undefined, payload.operationName, {
            maxDepth: config.maxQueryDepth,
            maxCost: config.maxQueryCost,
          });
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
        }
        return undefined;
      },
      // Subscription results get the same error shaping as HTTP responses (codes, no internals).
      onNext(_ctx, _id, _payload, _args, result) {
        if (!('errors' in result) || !result.errors?.length) return undefined;
        return { ...result, errors: result.errors.map((error) => shapeError(error.toJSON(), error) as GraphQLError) };
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false, // main.ts owns shutdown and its order
    formatError: shapeError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      config.playground ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
      requestPlugin(app),
    ],
  });
  await apollo.start();

  expressApp.use((req, res, next) => {
    req.requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.setHeader('x-request-id', req.requestId);
    withSqlCounter(next);
  });
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
