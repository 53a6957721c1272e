import { createPubSub, filter, pipe } from '@graphql-yoga/subscription';
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * A domain event: what happened, in which workspace, to which record. Events carry ids only; a subscriber
 * re-reads the rows it needs, so a payload stays far below PostgreSQL's 8000-byte NOTIFY limit and never leaks
 * a body to an instance that should not see it.
 */
export interface DomainEvent {
  topic: string;
  workspaceId: string;
  /** The id (uuid) of the record the event is about. */
  subjectId: string;
  /** Further ids, small and flat. */
  refs?: Record<string, string>;
}

export const EVENTS_CHANNEL = 'domain_events';
const MAX_PAYLOAD_BYTES = 7900;

/** Serializes an event for NOTIFY; refuses payloads PostgreSQL would reject. */
export function encodeEvent(event: DomainEvent): string {
  const payload = JSON.stringify(event);
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
    throw new Error(`event ${event.topic} is too large for NOTIFY: send ids, not bodies`);
  }
  return payload;
}

/**
 * Fans domain events out to every server instance. Events are sent with `pg_notify` inside the transaction that
 * made the change (see RequestContext.transaction), so PostgreSQL delivers them only if and when it commits.
 * Each instance keeps one dedicated LISTEN connection, reconnecting with backoff, and republishes what arrives
 * on an in-process pubsub that the GraphQL subscriptions read.
 */
export class EventBus {
  private readonly local = createPubSub<Record<string, [DomainEvent]>>();
  private client?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private connected?: Promise<void>;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the first LISTEN is in place, so events committed after it are not missed. */
  start(): Promise<void> {
    this.connected = this.connect(0);
    return this.connected;
  }

  private async connect(attempt: number): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => this.deliver(message.payload));
    client.on('error', (error) => {
      this.logger.warn({ err: error.message }, 'event listener connection lost');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.client = client;
      if (attempt > 0) this.logger.info('event listener reconnected');
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (this.closed) return;
      if (attempt === 0) throw error;
      this.scheduleRetry(attempt + 1);
    }
  }

  private reconnect(client: pg.Client) {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.scheduleRetry(1);
  }

  private scheduleRetry(attempt: number) {
    const delay = Math.min(5000, 100 * 2 ** attempt);
    this.retryTimer = setTimeout(() => void this.connect(attempt), delay);
  }

  private deliver(payload: string | undefined) {
    if (!payload) return;
    try {
      const event = JSON.parse(payload) as DomainEvent;
      this.local.publish(event.topic, event);
    } catch (error) {
      this.logger.error({ err: (error as Error).message }, 'undecodable domain event');
    }
  }

  /** The events of one topic for one workspace, as they commit on any instance. */
  subscribe(topic: string, workspaceId: string): AsyncIterable<DomainEvent> {
    return pipe(
      this.local.subscribe(topic),
      filter((event: DomainEvent) => event.workspaceId === workspaceId),
    );
  }

  /** Every workspace's events of one topic: for the server's own machinery, never for client subscriptions. */
  subscribeAllWorkspaces(topic: string): AsyncIterable<DomainEvent> {
    return this.local.subscribe(topic);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connected?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
