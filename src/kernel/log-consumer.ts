import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../db/orm';
import { cursorOf, logHead, readEventsAfter } from './event-log';
import type { DomainEvent } from './events';

/** Events one consumer takes per transaction. */
const CONSUME_BATCH = 200;

/** The advisory lock a consumer holds while it moves its cursor (a transaction-level lock of its name). */
const lockOf = (nameParameter: string) => `pg_try_advisory_xact_lock(hashtext('event_log_consumer'), hashtext(${nameParameter}))`;

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
    /**
     * A SQL condition (no parameters) under which the handler would do nothing whatever the events, e.g. "no webhook
     * endpoint is enabled": see skipIfIdle.
     */
    private readonly idleWhen = 'false',
  ) {}

  /** Creates the consumer's cursor at the head of the log, unless it exists. */
  async register(): Promise<void> {
    const head = await logHead(this.orm);
    await this.orm.em.getConnection().execute(
      `insert into event_log_consumer (name, transaction_id, position) values (?, ?::xid8, ?) on conflict (name) do nothing`,
      [this.name, head.transactionId, head.position], 'run',
    );
  }

  /** Handles batches while there are events and no other instance is at it. */
  async consume(): Promise<void> {
    // A batch smaller than CONSUME_BATCH took all there was: what commits later wakes the consumer again.
    while ((await this.consumeBatch()) === CONSUME_BATCH);
  }

  /** Handles the next batch, if there is one and no other instance is at it; returns how many events it handled. */
  private async consumeBatch(): Promise<number> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      // The lock, the cursor and the events after it in one statement; none when another instance holds the lock. An
      // advisory lock, not a row lock: taking it gives the transaction no id, so a pass that finds nothing to do does
      // not hold back the event log's readers (they read below the oldest running transaction id).
      const events = await readEventsAfter(
        tx as EntityManager,
        `(select transaction_id, position from event_log_consumer where name = ? and ${lockOf('?')})`,
        [this.name, this.name], CONSUME_BATCH,
      );
      if (!events.length) return 0;
      await this.handle(tx as EntityManager, events);
      const last = cursorOf(events[events.length - 1]);
      await tx.getConnection().execute(
        `update event_log_consumer set transaction_id = ?::xid8, position = ?, updated_at = now() where name = ?`,
        [last.transactionId, last.position, this.name], 'run', tx.getTransactionContext(),
      );
      return events.length;
    });
  }

  /**
   * Whether `idleWhen` holds; if so, also moves the cursor to the head of the log without reading the events: one
   * statement, no transaction of its own, instead of a transaction per batch that would hand the handler events it
   * does nothing with (the webhook dispatcher of a server without endpoints ran 7–13 statements per event read).
   * Sound because the events passed over all committed before the statement's snapshot, in which the condition held:
   * whatever makes it false later (an endpoint enabled) committed after them, and events committed after it are
   * handled as usual. Under the consumer's lock, and only forwards (another instance may have moved it meanwhile).
   */
  async skipIfIdle(): Promise<boolean> {
    // Data-modifying WITH parts run to completion whether or not the final select reads them.
    const [{ idle }] = await this.orm.em.getConnection().execute(
      `with idle as (select (${this.idleWhen}) as idle),
       skipped as (
         update event_log_consumer c set transaction_id = head.transaction_id, position = head.position, updated_at = now()
         from (select transaction_id, position from domain_event where transaction_id < pg_snapshot_xmin(pg_current_snapshot())
               order by transaction_id desc, position desc limit 1) head
         where c.name = ? and (select idle from idle) and (head.transaction_id, head.position) > (c.transaction_id, c.position)
           and ${lockOf('?')}
         returning 1)
       select idle from idle`,
      [this.name, this.name], 'all',
    );
    return idle;
  }
}
