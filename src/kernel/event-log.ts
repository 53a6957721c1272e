import { Repeater } from '@graphql-yoga/subscription';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm';
import { runPrepared } from '../db/prepared-sql';
import { CoalescingRunner } from './coalescing-runner';
import { MatchIndex, type LiveMatch } from './match-index';
import { PgListener } from './pg-listener';
import { AppError } from '../graphql/errors';
import { MAX_REFS_BYTES, type DomainEvent, type PendingEvent } from './events';

/*
 * The durable domain-event log: the table `domain_event`, written in the same transaction as the change it
 * describes, and read by every instance (subscriptions), by the webhook dispatcher and by anyone resuming.
 *
 * Order and visibility. Positions come from an identity sequence and are handed out before commit, so position
 * order is not commit order: a reader that stepped past position 7 while a slower transaction still held
 * position 6 would never see 6. So the log is read in the order (transaction id, position), and only events of
 * transactions older than the oldest transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`):
 * no transaction can ever again write an event below that line, so a reader that moves past an event never
 * misses one before it. The price: one long transaction anywhere in the cluster holds delivery back until it ends.
 * Within one transaction, events keep the order they were emitted in; transactions that change the same row take
 * their transaction ids in the order they lock it (every service locks the subject first), so one subject's
 * events are read in the order they happened.
 *
 * NOTIFY (from a statement trigger on the table, see the migration EventLog) only wakes the readers; each
 * instance also reads on a timer, so a listening connection that drops loses nothing, it only delays.
 */

export const EVENTS_CHANNEL = 'domain_events';
/** The `application_name` of each instance's LISTEN connection, to find it in pg_stat_activity. */
export const EVENTS_LISTENER_NAME = 'service-desk events';

/** Where a reader stands in the log: everything at or before it has been read. */
export interface LogCursor {
  transactionId: string;
  position: string;
}

const compare = (a: LogCursor, b: LogCursor): number => {
  const byTransaction = BigInt(a.transactionId) - BigInt(b.transactionId);
  if (byTransaction !== 0n) return byTransaction < 0n ? -1 : 1;
  const byPosition = BigInt(a.position) - BigInt(b.position);
  return byPosition === 0n ? 0 : byPosition < 0n ? -1 : 1;
};

export const cursorOf = (event: DomainEvent): LogCursor => ({ transactionId: event.transactionId, position: event.position });

const EVENT_COLUMNS = `position::text, transaction_id::text, workspace_id, topic, subject_id, refs, actor_kind, actor_id, occurred_at`;

interface EventRow {
  position: string;
  transaction_id: string;
  workspace_id: string;
  topic: string;
  subject_id: string;
  refs: Record<string, string>;
  actor_kind: DomainEvent['actorKind'];
  actor_id: string | null;
  occurred_at: Date;
}

const eventOf = (row: EventRow): DomainEvent => ({
  position: row.position,
  transactionId: row.transaction_id,
  topic: row.topic,
  workspaceId: row.workspace_id,
  subjectId: row.subject_id,
  refs: row.refs,
  actorKind: row.actor_kind,
  actorId: row.actor_id,
  occurredAt: new Date(row.occurred_at),
});

/** Writes a transaction's events to the log, in the order they were emitted; returns them with their positions. */
export async function appendEvents(em: EntityManager, events: PendingEvent[]): Promise<DomainEvent[]> {
  for (const event of events) {
    if (Buffer.byteLength(JSON.stringify(event.refs)) > MAX_REFS_BYTES) throw new Error(`event ${event.topic} carries too much: send ids, not bodies`);
  }
  const rows = events.map((e, index) => ({
    n: index, workspace_id: e.workspaceId, topic: e.topic, subject_id: e.subjectId, refs: e.refs, actor_kind: e.actorKind, actor_id: e.actorId,
  }));
  // One statement for all of them; positions are drawn in `n` order, so sorting by position restores it.
  const written: EventRow[] = await em.getConnection().execute(
    `insert into domain_event (workspace_id, topic, subject_id, refs, actor_kind, actor_id)
     select workspace_id, topic, subject_id, refs, actor_kind, actor_id
     from jsonb_to_recordset(?::jsonb) as e(n int, workspace_id uuid, topic text, subject_id uuid, refs jsonb, actor_kind text, actor_id uuid)
     order by n
     returning ${EVENT_COLUMNS}`,
    [JSON.stringify(rows)], 'all', em.getTransactionContext(),
  );
  return written.map(eventOf).sort((a, b) => compare(cursorOf(a), cursorOf(b)));
}

type Execute = (sql: string, params: unknown[]) => Promise<EventRow[]>;

const executorOf = (orm: Orm): Execute => (sql, params) => orm.em.getConnection().execute(sql, params, 'all');

/**
 * What a subscriber asks of an event beyond its workspace and topic: `subjectId`, refs, or both, equal to these
 * values (a field set to undefined is not asked about).
 */
export type EventMatch = LiveMatch;

/** An event's value of a match field: its subject id or one of its refs. */
const fieldOf = (event: DomainEvent) => (name: string): string | undefined => (name === 'subjectId' ? event.subjectId : event.refs[name]);

/** The cursor from which a new reader hears only what commits from now on. */
export async function logHead(orm: Orm): Promise<LogCursor> {
  const [row] = await orm.em.getConnection().execute(`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`, [], 'all');
  return { transactionId: row.xmin, position: '0' };
}

export interface LogFilter {
  workspaceId?: string;
  topics?: string[];
  /** Events that meet any of these matches. */
  match?: EventMatch[];
  /** Read no further than this cursor (inclusive). */
  until?: LogCursor;
}

/** Committed events after `after`, in log order, that no running transaction can still precede. */
export async function readEvents(orm: Orm, after: LogCursor, limit: number, filter: LogFilter = {}): Promise<DomainEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [after.transactionId, after.position];
  if (filter.workspaceId) {
    where.push('and workspace_id = ?');
    params.push(filter.workspaceId);
  }
  if (filter.topics) {
    where.push('and topic in (select jsonb_array_elements_text(?::jsonb))');
    params.push(JSON.stringify(filter.topics));
  }
  if (filter.match) {
    const anyOf = filter.match.map(({ subjectId, ...refs }) => {
      const conditions = ['true'];
      if (subjectId !== undefined) {
        conditions.push('subject_id = ?');
        params.push(subjectId);
      }
      const matchedRefs = Object.entries(refs).filter(([, value]) => value !== undefined);
      if (matchedRefs.length) {
        conditions.push('refs @> ?::jsonb');
        params.push(JSON.stringify(Object.fromEntries(matchedRefs)));
      }
      return `(${conditions.join(' and ')})`;
    });
    where.push(`and (${anyOf.join(' or ') || 'false'})`);
  }
  if (filter.until) {
    where.push('and (transaction_id, position) <= (?::xid8, ?::bigint)');
    params.push(filter.until.transactionId, filter.until.position);
  }
  params.push(limit);
  const rows = await executorOf(orm)(logReadSql('(?::xid8, ?::bigint)', where.join(' ')), params);
  return rows.map(eventOf);
}

/**
 * The statement reading the log after a cursor, `after` being SQL for a (transaction id, position) row: parameters,
 * or a subquery (a log consumer's cursor row, see LogConsumer); then `conditions`, then a `limit ?` parameter.
 */
function logReadSql(after: string, conditions = ''): string {
  // Ordered by the table's columns, not the selected ones of the same names: those are text ('1001' < '983').
  return `select ${EVENT_COLUMNS} from domain_event
     where (transaction_id, position) > ${after}
       and transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       ${conditions}
     order by domain_event.transaction_id, domain_event.position
     limit ?`;
}

/** Reads the log after a cursor given as SQL (see logReadSql), in a transaction: for LogConsumer. */
export async function readEventsAfter(em: EntityManager, after: string, params: unknown[], limit: number): Promise<DomainEvent[]> {
  const rows: EventRow[] = await em.getConnection().execute(logReadSql(after), [...params, limit], 'all', em.getTransactionContext());
  return rows.map(eventOf);
}

/**
 * The next events after `after` (as readEvents, unfiltered), and whether committed events after them are held back by
 * an older transaction still running. Readers are woken by NOTIFY when events commit, not when the transaction holding
 * them back ends (it may write no event): a reader that finds some held back reads again shortly instead of waiting
 * for its timer. One statement answers both, against one snapshot's xmin: a second round trip after every read was
 * the most expensive statement of a busy desk (a reader runs one per NOTIFY).
 */
export async function readNewEvents(orm: Orm, after: LogCursor, limit: number): Promise<{ events: DomainEvent[]; heldBack: boolean }> {
  const rows = await runPrepared<EventRow & { held_back: boolean }>(orm.em,
    // A subquery of the snapshot's xmin, not a join: the index scans stop at it (a running import's rows are skipped).
    `with snapshot as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin)
     select ${EVENT_COLUMNS}, held.held_back
     from (select exists (select 1 from domain_event
             where (transaction_id, position) > ($1::xid8, $2::bigint) and transaction_id >= (select xmin from snapshot)) as held_back) held
     left join lateral (
       select domain_event.* from domain_event
       where (transaction_id, position) > ($1::xid8, $2::bigint) and transaction_id < (select xmin from snapshot)
       order by transaction_id, position
       limit $3) e on true
     order by e.transaction_id, e.position`,
    [after.transactionId, after.position, limit],
  );
  // Without events the one row carries only held_back (its event columns are null).
  return { events: rows.filter((row) => row.position !== null).map(eventOf), heldBack: rows[0].held_back };
}

/** Whether a string can be an event's position (a positive bigint in decimal). */
export const isPosition = (value: string): boolean => /^[1-9][0-9]{0,18}$/.test(value);

/** The cursor of a workspace's event at `position`, or null when it is not (or no longer) in the log. */
export async function cursorAt(orm: Orm, workspaceId: string, position: string): Promise<LogCursor | null> {
  if (!isPosition(position)) return null;
  const [row] = await executorOf(orm)(
    `select position::text, transaction_id::text from domain_event where workspace_id = ? and position = ?::bigint`,
    [workspaceId, position],
  );
  return row ? { transactionId: row.transaction_id, position: row.position } : null;
}

/** Deletes events older than `before` (the retention job); returns how many. */
export async function pruneEvents(orm: Orm, before: Date): Promise<number> {
  const [row] = await orm.em.getConnection().execute(
    `with pruned as (delete from domain_event where occurred_at < ? returning 1) select count(*)::int as count from pruned`,
    [before], 'all',
  );
  return row.count;
}

/** How long a read shared by the subscribers of one event (`readOnce`) is kept: they resolve it within milliseconds. */
const SHARED_READ_MS = 2000;
/** Events read per statement. */
const READ_BATCH = 500;
/** Events a subscriber may fall behind by before it is told to resume (it would otherwise hold them all in memory). */
const SUBSCRIBER_BACKLOG = 5000;

export interface SubscribeOptions {
  workspaceId: string;
  topics: string[];
  /**
   * Only events whose `subjectId` or refs equal these values, e.g. `{ conversationId }`, or that meet any of several
   * such matches (`[{ agentId: me }, { previousAgentId: me }]`): checked by the instance's index before anything else
   * runs for the subscriber (see MatchIndex), and on replay by the query. Each event comes once.
   */
  match?: EventMatch | EventMatch[];
  /** Resume after the event at this position (one the subscriber saw): first what it missed, then live events. */
  after?: string | null;
}

/**
 * One instance's reader of the log: it follows the log from the moment the instance started, woken by NOTIFY and
 * by a timer, and hands each event to this instance's subscribers (GraphQL subscriptions and the server's own
 * listeners). A subscriber that passes `after` first gets what it missed from the table itself.
 */
export class EventLog {
  private cursor: LogCursor = { transactionId: '0', position: '0' };
  /** The server's own listeners (`listen`): every event. */
  private readonly listeners = new Set<(event: DomainEvent) => void>();
  /** Client subscriptions, by workspace, topic and match. */
  private readonly subscribers = new MatchIndex<(event: DomainEvent) => void>();
  private readonly listener: PgListener;
  private closed = false;
  private readonly reader = new CoalescingRunner(() => this.readNew());
  private pollTimer?: NodeJS.Timeout;
  private recheckTimer?: NodeJS.Timeout;
  private recheckDelayMs = 0;
  private failing = false;
  private readonly interruptionHandlers = new Set<() => void>();
  /** Reads shared by this instance's subscribers of one event (`readOnce`), kept briefly. */
  private readonly sharedReads = new LRUCache<string, Promise<any>>({ max: 10_000, ttl: SHARED_READ_MS });

  constructor(
    private readonly orm: Orm,
    databaseUrl: string,
    private readonly logger: Logger,
    private readonly pollIntervalMs: number,
  ) {
    this.listener = new PgListener(databaseUrl, EVENTS_CHANNEL, EVENTS_LISTENER_NAME, logger, {
      notification: () => this.wake(),
      connected: () => this.wake(), // what committed while it was away
      lost: (error) => {
        if (error) this.logger.warn({ err: error.message }, 'event listener connection lost; reading the log on the timer until it is back');
        this.interrupt();
      },
    });
  }

  /** Resolves once the reader stands at the head of the log and listens, so nothing committed after it is missed. */
  async start(): Promise<void> {
    this.cursor = await logHead(this.orm);
    await this.listener.start();
    this.pollTimer = setInterval(() => this.wake(), this.pollIntervalMs);
  }

  /** Reads what is new, once at a time: a wake-up during a read makes it read again afterwards. */
  private wake(): void {
    this.reader.wake();
  }

  private async readNew(): Promise<void> {
    try {
      for (;;) {
        const { events, heldBack } = await readNewEvents(this.orm, this.cursor, READ_BATCH);
        for (const event of events) {
          this.cursor = cursorOf(event);
          for (const listener of this.listeners) listener(event);
          for (const subscriber of this.subscribers.matching(event.workspaceId, event.topic, fieldOf(event))) subscriber(event);
        }
        if (this.failing) this.logger.info('event log readable again');
        this.failing = false;
        if (this.closed) return;
        if (events.length < READ_BATCH) return this.recheckIfHeldBack(heldBack);
      }
    } catch (error) {
      // The database is away: the timer tries again, and the cursor has not moved, so nothing is lost.
      if (!this.failing) this.logger.warn({ err: (error as Error).message }, 'reading the event log failed; retrying');
      this.failing = true;
      this.interrupt();
    }
  }

  /** Reads again soon (20 ms, doubling to 500 ms) while committed events wait for an older transaction to end. */
  private recheckIfHeldBack(heldBack: boolean): void {
    clearTimeout(this.recheckTimer);
    if (!heldBack) {
      this.recheckDelayMs = 0;
      return;
    }
    this.recheckDelayMs = Math.min(500, this.recheckDelayMs ? this.recheckDelayMs * 2 : 20);
    this.recheckTimer = setTimeout(() => this.wake(), this.recheckDelayMs);
  }

  /**
   * A workspace's events of some topics as they commit on any instance, for client subscriptions; with `after`,
   * first those it missed since then. Ends with EVENTS_EXPIRED when `after` is not in the log (pruned by retention,
   * or never this workspace's), and with EVENTS_INTERRUPTED when the subscriber falls far behind: both tell the
   * client to refetch (or resume) rather than miss events silently.
   */
  subscribe({ workspaceId, topics, match = {}, after }: SubscribeOptions): AsyncIterable<DomainEvent> {
    const matches = Array.isArray(match) ? match : [match];
    return new Repeater<DomainEvent>(async (push, stop) => {
      // Events wait here until the client takes them; `push` resolves only then, so a slow client is never sent
      // more than it reads, and one that falls SUBSCRIBER_BACKLOG behind is ended rather than held in memory.
      const queue: DomainEvent[] = [];
      let wakePump: (() => void) | undefined;
      let delivered: LogCursor | undefined;
      const enqueue = (event: DomainEvent) => {
        if (delivered && compare(cursorOf(event), delivered) <= 0) return; // given by the replay and the reader both
        delivered = cursorOf(event);
        queue.push(event);
        wakePump?.();
      };
      let replaying = Boolean(after);
      const arrivedDuringReplay: DomainEvent[] = [];
      const subscriber = (event: DomainEvent) => {
        if (replaying) arrivedDuringReplay.push(event);
        else if (queue.length >= SUBSCRIBER_BACKLOG) stop(fellBehind(delivered));
        else enqueue(event);
      };
      // Under each of its matches: an event that meets several reaches `subscriber` more than once, and enqueue keeps
      // the first (its cursor is not past the one delivered).
      const unsubscribes = matches.map((one) => this.subscribers.add(workspaceId, topics, one, subscriber));
      let stopped = false;
      void stop.then(() => {
        stopped = true;
        unsubscribes.forEach((unsubscribe) => unsubscribe());
        wakePump?.();
      });
      const pump = async () => {
        while (!stopped) {
          const event = queue.shift();
          if (event) await push(event);
          else await new Promise<void>((resolve) => (wakePump = resolve));
        }
      };
      const pumping = pump();

      if (after) {
        try {
          const from = await this.resumeCursor(workspaceId, after);
          // Nothing at or before it is sent: neither by the replay, nor by this instance's reader when it stands behind
          // `after` (a busy instance that has not yet read the events the client saw elsewhere).
          delivered = from;
          await this.replay({ workspaceId, topics, match: matches }, from, enqueue, () => queue.length > 0 && !stopped);
        } catch (error) {
          const expired = error instanceof AppError;
          if (!expired) this.logger.error({ err: (error as Error).message }, 'replaying the event log failed');
          stop(expired ? error : new AppError('INTERNAL_SERVER_ERROR', 'Internal server error: subscribe again with the same `after`'));
          return;
        }
        arrivedDuringReplay.splice(0).forEach(enqueue);
        replaying = false;
      }
      await pumping;
    });
  }

  /** The cursor of the event at `after` (a position the subscriber saw), or EVENTS_EXPIRED. */
  private async resumeCursor(workspaceId: string, after: string): Promise<LogCursor> {
    const from = await cursorAt(this.orm, workspaceId, after);
    if (!from) {
      throw new AppError('EVENTS_EXPIRED', `Position ${after} is not in this workspace's event log (or no longer: events are kept for a limited time): refetch what you show, then subscribe without \`after\``);
    }
    return from;
  }

  /**
   * Hands a subscriber the events it missed after `from`, up to where this instance's reader stands now (what the
   * reader hands out from there on waits for it meanwhile), one page at a time as the client reads them.
   */
  private async replay(
    { workspaceId, topics, match }: { workspaceId: string; topics: string[]; match: EventMatch[] }, from: LogCursor, enqueue: (event: DomainEvent) => void, clientBusy: () => boolean,
  ): Promise<void> {
    const until = this.cursor;
    for (let cursor = from; ;) {
      const missed = await readEvents(this.orm, cursor, READ_BATCH, { workspaceId, topics, match, until });
      missed.forEach(enqueue);
      if (missed.length < READ_BATCH) return;
      cursor = cursorOf(missed[missed.length - 1]);
      while (clientBusy()) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * One read per event and instance, however many of this instance's subscribers receive the event: the first to ask
   * runs `read`, the others asking for the same `what` within SHARED_READ_MS share its promise (later ones read
   * again). Only for what is the same for every reader, such as a raw row: rights and fields stay per subscriber.
   */
  readOnce<T>(event: DomainEvent, what: string, read: () => Promise<T>): Promise<T> {
    const key = `${event.position}:${what}`;
    let shared: Promise<T> | undefined = this.sharedReads.get(key);
    if (!shared) {
      shared = read();
      this.sharedReads.set(key, shared);
      shared.catch(() => this.sharedReads.delete(key)); // a failed read is not shared: the next subscriber tries again
    }
    return shared;
  }

  /**
   * Every event of every workspace as this instance reads it, for the server's own machinery (closing revoked
   * connections, waking the webhook sender), never for client subscriptions. Returns the way to stop listening.
   */
  listen(handle: (event: DomainEvent) => void): () => void {
    this.listeners.add(handle);
    return () => this.listeners.delete(handle);
  }

  /**
   * Calls `handle` whenever events may reach this instance late: a read of the log failed (what it missed comes once
   * reading works again) or the LISTEN connection was lost (events come on the timer only). For caches that events
   * keep correct: they drop what they hold. Returns the way to stop.
   */
  onInterruption(handle: () => void): () => void {
    this.interruptionHandlers.add(handle);
    return () => this.interruptionHandlers.delete(handle);
  }

  private interrupt(): void {
    for (const handle of this.interruptionHandlers) handle();
  }

  /** Whether the last read of the log failed (until one succeeds). */
  get interrupted(): boolean {
    return this.failing;
  }

  /** Whether this instance's LISTEN connection is up (events still arrive without it, on the timer). */
  get listening(): boolean {
    return this.listener.listening;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.recheckTimer);
    await this.reader.stop();
    await this.listener.close();
  }
}

function fellBehind(delivered: LogCursor | undefined): AppError {
  return new AppError(
    'EVENTS_INTERRUPTED',
    `This subscription fell too far behind the live events and was ended: subscribe again with after: "${delivered?.position ?? ''}" to receive the rest`,
  );
}
