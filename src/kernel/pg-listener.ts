import pg from 'pg';
import type { Logger } from 'pino';

export interface ListenerHandlers {
  /** A NOTIFY on the channel, with its payload. */
  notification(payload: string | undefined): void;
  /** The connection is listening: at start and again after each reconnection (what was notified meanwhile is gone). */
  connected(): void;
  /** The connection was lost (with the error, when one ended it); it reconnects by itself. */
  lost(error?: Error): void;
}

/**
 * One instance's LISTEN connection on one PostgreSQL channel (a dedicated `pg.Client`: a pooled connection cannot
 * stay listening), reconnecting with a backoff when it drops. Used by the event log (wake-ups) and by signals.
 * Taken out of the event log, which had it first, so that signals share it instead of a copy.
 */
export class PgListener {
  private client?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly databaseUrl: string,
    private readonly channel: string,
    /** The connection's `application_name`, to find it in pg_stat_activity. */
    private readonly applicationName: string,
    private readonly logger: Logger,
    private readonly handlers: ListenerHandlers,
  ) {}

  /** Resolves once listening; fails when the first connection fails (later ones are retried). */
  start(): Promise<void> {
    return this.connect(0);
  }

  private async connect(attempt: number): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: this.applicationName });
    client.on('notification', (message) => this.handlers.notification(message.payload));
    client.on('error', (error) => this.reconnect(client, error));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      this.client = client;
      if (attempt > 0) this.logger.info({ channel: this.channel }, 'listening connection back');
      this.handlers.connected();
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (this.closed) return;
      if (attempt === 0) throw error;
      this.retryTimer = setTimeout(() => void this.connect(attempt + 1), Math.min(5000, 100 * 2 ** attempt));
    }
  }

  private reconnect(client: pg.Client, error?: Error) {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.handlers.lost(error);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.retryTimer = setTimeout(() => void this.connect(1), 100);
  }

  /** Whether the connection is up and listening. */
  get listening(): boolean {
    return Boolean(this.client);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
