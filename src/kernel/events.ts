import { createPubSub, Repeater } from '@graphql-yoga/subscription';
import pg from 'pg';
import type { Logger } from 'pino';
import { AppError } from '../graphql/errors';

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
/** The `application_name` of each instance's LISTEN connection, to find it in pg_stat_activity. */
export const EVENTS_LISTENER_NAME = 'service-desk events';
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
 *
 * NOTIFY is not stored: what commits while that connection is down is lost to this instance. So when it drops,
 * every client subscription ends with the EVENTS_INTERRUPTED error, and new ones are refused with it until LISTEN
 * is back, so that clients subscribe again and refetch (see the README) instead of silently missing events.
 */
export class EventBus {
  private readonly local = createPubSub<Record<string, [DomainEvent]>>();
  private client?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private connected?: Promise<void>;
  /** Ends one open client subscription with EVENTS_INTERRUPTED. */
  private readonly interruptions = new Set<() => void>();

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
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: EVENTS_LISTENER_NAME });
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
    if (this.interruptions.size) this.logger.warn({ subscriptions: this.interruptions.size }, 'ending subscriptions: events may be lost until the listener reconnects');
    for (const interrupt of this.interruptions) interrupt();
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

  /**
   * The events of one topic for one workspace, as they commit on any instance: for client subscriptions. Ends with
   * EVENTS_INTERRUPTED when the LISTEN connection drops, and starts with it while that connection is down.
   */
  subscribe(topic: string, workspaceId: string): AsyncIterable<DomainEvent> {
    return new Repeater<DomainEvent>(async (push, stop) => {
      const interrupt = () =>
        stop(
          new AppError(
            'EVENTS_INTERRUPTED',
            'Live events were interrupted (the server lost its database connection) and some may have been missed: subscribe again, then refetch what you show',
          ),
        );
      if (!this.client) return interrupt();
      this.interruptions.add(interrupt);
      const events = this.local.subscribe(topic);
      void stop.then(() => {
        this.interruptions.delete(interrupt);
        void events.return();
      });
      for await (const event of events) {
        if (event.workspaceId === workspaceId) await push(event);
      }
    });
  }

  /**
   * Every workspace's events of one topic: for the server's own machinery, never for client subscriptions. Not
   * interrupted by a reconnection: its users make up for lost events themselves (WebSocket connections are checked
   * again at every operation and every WS_REAUTH_SECONDS).
   */
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
