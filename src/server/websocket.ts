import type http from 'node:http';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { authenticate, bearerToken } from '../auth/authenticate';
import { ACCESS_REVOKED } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { RequestContext, type AppServices } from '../context';
import { AppError } from '../graphql/errors';
import type { DomainEvent } from '../kernel/events';
import { checkOperationLimits } from './limits';

/** Close code for a connection whose credential is bad or was revoked (graphql-ws leaves 4400–4499 to servers). */
export const CLOSE_UNAUTHORIZED = 4401;

interface Connection {
  socket: WebSocket;
  /** Kept to authenticate again: before each operation and on every sweep. */
  token?: string;
  principal?: Principal;
}

function matchesRevocation(principal: Principal | undefined, refs: Record<string, string> = {}): boolean {
  if (!principal) return false;
  return (
    (refs.sessionId !== undefined && refs.sessionId === principal.sessionId) ||
    (refs.apiKeyId !== undefined && refs.apiKeyId === principal.apiKeyId) ||
    (refs.userId !== undefined && refs.userId === principal.userId)
  );
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
  shapeError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): { dispose(): Promise<void> } {
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
  const wsServer = new WebSocketServer({ server, path: '/graphql' });

  const cleanup = useServer<Record<string, unknown>, { connection?: Connection }>(
    {
      schema,
      async onConnect(ctx) {
        const params = ctx.connectionParams ?? {};
        const token = bearerToken(params.authorization ?? params.Authorization) ?? (typeof params.token === 'string' ? params.token : undefined);
        const connection: Connection = { socket: ctx.extra.socket, token };
        (ctx.extra as { connection?: Connection }).connection = connection;
        if (!(await reauthenticate(connection))) return false;
        connections.add(connection);
        ctx.extra.socket.once('close', () => connections.delete(connection));
        return true;
      },
      context: (ctx) => RequestContext.forRequest(app, (ctx.extra as { connection?: Connection }).connection?.principal),
      async onSubscribe(ctx, _id, payload) {
        const connection = (ctx.extra as { connection?: Connection }).connection!;
        if (!(await reauthenticate(connection))) return [AppError.unauthenticated('The credential is no longer valid')];
        logger.info({ principal: connection.principal?.kind ?? 'ANONYMOUS', operation: payload.operationName ?? null, transport: 'websocket' }, 'graphql request');
        // Price operations like HTTP ones; errors here are returned to the client, not thrown.
        try {
          checkOperationLimits(schema, parse(payload.query), payload.variables ?? undefined, payload.operationName, config);
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

  const revocations = app.events.subscribeAllWorkspaces(ACCESS_REVOKED)[Symbol.asyncIterator]();
  void (async () => {
    for (let next = await revocations.next(); !next.done; next = await revocations.next()) {
      const event = next.value as DomainEvent;
      for (const connection of connections) {
        if (matchesRevocation(connection.principal, event.refs)) {
          connection.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: the credential was revoked or its rights changed; reconnect');
        }
      }
    }
  })();

  const sweep = setInterval(() => {
    for (const connection of connections) {
      if (connection.token) reauthenticate(connection).catch((error) => logger.warn({ err: (error as Error).message }, 'websocket re-authentication failed'));
    }
  }, config.wsReauthSeconds * 1000);
  sweep.unref();

  return {
    async dispose() {
      clearInterval(sweep);
      await revocations.return?.();
      await cleanup.dispose();
    },
  };
}
