import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import { cursorOf, logHead, readEvents, type LogCursor } from './event-log';
import type { DomainEvent } from './events';

/** Events one consumer takes per transaction. */
const CONSUME_BATCH = 200;

/**
 * A durable reader of the event log for work that must see every event exactly once across all instances (the
 * webhook dispatcher): its cursor is a row of `event_log_consumer`, moved in the same transaction as what the handler
 * writes, under a transaction-level advisory lock of the consumer's name. So a batch is handled once, by one instance
 * (the others find the lock taken and skip), and a crash in the middle leaves the cursor where it was. A new consumer starts at the head of
 * the log: it handles what happens from its first run on.
 */
export class LogConsumer {
  constructor(
    private readonly orm: Orm,
    readonly name: string,
    private readonly handle: (em: EntityManager, events: DomainEvent[]) => Promise<void>,
  ) {}

  /** Creates the consumer's cursor at the head of the log, unless it exists. */
  async register(): Promise<void> {
    const head = await logHead(this.orm);
    await this.orm.em.getConnection().execute(
      `insert into event_log_consumer (name, transaction_id, position) values (?, ?::xid8, ?) on conflict (name) do nothing`,
      [this.name, head.transactionId, head.position], 'run',
    );
  }

  /** Handles the next batch, if there is one and no other instance is at it; returns how many events it handled. */
  async consumeBatch(): Promise<number> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      const connection = tx.getConnection();
      const knexTransaction = tx.getTransactionContext();
      // An advisory lock, not a row lock: taking it gives the transaction no id, so a pass that finds nothing to do
      // does not hold back the event log's readers (they read below the oldest running transaction id).
      const [{ locked }] = await connection.execute(
        `select pg_try_advisory_xact_lock(hashtext('event_log_consumer'), hashtext(?)) as locked`, [this.name], 'all', knexTransaction,
      );
      if (!locked) return 0; // another instance is at it
      const [cursor]: LogCursor[] = await connection.execute(
        `select transaction_id::text as "transactionId", position::text as position from event_log_consumer where name = ?`,
        [this.name], 'all', knexTransaction,
      );
      if (!cursor) return 0;
      const events = await readEvents(this.orm, cursor, CONSUME_BATCH);
      if (!events.length) return 0;
      await this.handle(tx as EntityManager, events);
      const last = cursorOf(events[events.length - 1]);
      await connection.execute(
        `update event_log_consumer set transaction_id = ?::xid8, position = ?, updated_at = now() where name = ?`,
        [last.transactionId, last.position, this.name], 'run', knexTransaction,
      );
      return events.length;
    });
  }
}
