import type { EntityManager } from '@mikro-orm/postgresql';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { RequestContext, type AppServices } from '../context';
import type { DomainEvent } from './events';
import type { ModuleRegistry, RegisteredReaction } from './module';

/** The queue every module reaction runs on: one poller per instance whatever the number of reactions. */
export const REACTIONS_QUEUE = 'module-reactions';
/** How often a reaction is tried in all, and the first retry's delay (doubling each time): about 17 minutes. */
const REACTION_RETRY = { limit: 8, delaySeconds: 4 };
/** Reactions run at once per instance. */
const REACTION_WORKERS = 4;
/** Failed jobs stay listed (failedJobs) this long before pg-boss archives them. */
const FAILED_JOBS_KEPT_SECONDS = 7 * 24 * 3600;

export type JobSendOptions = Pick<PgBoss.SendOptions, 'startAfter' | 'retryLimit' | 'retryDelay' | 'retryBackoff' | 'singletonKey'>;

/** What a reaction job carries: which reaction, and the event (its position is the reaction's idempotency key). */
interface ReactionJob {
  reaction: string;
  workspaceId: string;
  event: Omit<DomainEvent, 'occurredAt'> & { occurredAt: string };
}

/** A job that failed for good: listed for its workspace's OWNER, who may run it again. */
export interface FailedJob {
  id: string;
  name: string;
  /** For a reaction: `<module>.<reaction name>`. */
  reaction: string | null;
  eventTopic: string | null;
  eventPosition: string | null;
  error: string;
  attempts: number;
  createdAt: Date;
  failedAt: Date;
}

/**
 * Background and scheduled work on pg-boss, in the `pgboss` schema of the same database, so that jobs survive
 * restarts and each job runs once whichever instance picks it up. Every instance can enqueue; only instances
 * started with JOB_WORKERS=true (the default) run handlers. pg-boss makes sure a cron schedule fires once.
 *
 * Jobs and reactions of a change are enqueued inside its transaction (WriteTransaction.enqueue and emit): pg-boss
 * takes a `db` to run its insert on, and we give it the transaction's connection, so nothing is queued for a change
 * that rolled back and nothing is lost for one that committed.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    databaseUrl: string,
    private readonly registry: ModuleRegistry,
    private readonly logger: Logger,
    private readonly options: { workers: boolean; pollingIntervalSeconds?: number },
  ) {
    this.boss = new PgBoss({
      connectionString: databaseUrl, schema: 'pgboss', max: 4, application_name: 'service-desk-jobs',
      archiveFailedAfterSeconds: FAILED_JOBS_KEPT_SECONDS,
    });
    // pg-boss reports connection trouble here; without a listener an 'error' event would crash the process.
    this.boss.on('error', (error) => this.logger.warn({ err: error.message }, 'job queue error'));
  }

  async start(app: AppServices): Promise<void> {
    await this.boss.start();
    this.started = true;
    const polling = { pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2 };
    for (const job of this.registry.jobs) {
      await this.boss.createQueue(job.name);
      if (job.schedule) await this.boss.schedule(job.name, job.schedule, {}, { tz: 'UTC' });
      if (!this.options.workers) continue;
      await this.workWhileThereIsWork(job.name, polling, async ([item]) => {
        this.logger.info({ job: job.name, jobId: item.id }, 'job started');
        const data = item.data as { workspaceId?: string };
        await job.handler(RequestContext.forSystem(app, data.workspaceId), item.data as object);
      });
    }
    await this.boss.createQueue(REACTIONS_QUEUE);
    if (!this.options.workers) return;
    for (let worker = 0; worker < REACTION_WORKERS; worker++) {
      await this.workWhileThereIsWork<ReactionJob>(REACTIONS_QUEUE, polling, async ([item]) => {
        const reaction = this.registry.reaction(item.data.reaction);
        if (!reaction) throw new Error(`no reaction ${item.data.reaction} in this server's modules`);
        const event: DomainEvent = { ...item.data.event, occurredAt: new Date(item.data.event.occurredAt) };
        await reaction.handler(RequestContext.forSystem(app, item.data.workspaceId), event);
      });
    }
  }

  /**
   * `boss.work`, except that a worker which ran a job fetches the next at once. pg-boss 10 waits the polling interval
   * after every fetch, found or not, so a worker (one job a fetch) ran at most one job per interval: 4 reaction workers
   * at 2 s, 2 reactions a second per instance, while 20 messages a second ask for 40 (silence timer, bot): the backlog
   * grew without end (bench/RESULTS.md, "Live updates on the conversations module"). notifyWorker ends the wait; an
   * empty queue still waits the interval.
   */
  private async workWhileThereIsWork<T extends object>(name: string, options: { pollingIntervalSeconds: number }, handler: PgBoss.WorkHandler<T>): Promise<void> {
    let workerId: string | undefined;
    workerId = await this.boss.work<T>(name, options, async (jobs) => {
      try {
        return await handler(jobs);
      } finally {
        if (workerId) this.boss.notifyWorker(workerId);
      }
    });
  }

  /**
   * Enqueues a job; returns its id. With `em` (a transaction's EntityManager) the job is written in that transaction.
   * A job about one workspace carries `workspaceId` in its data: it then runs in that workspace, and an OWNER
   * sees it if it fails.
   */
  async send(name: string, data: object = {}, options: JobSendOptions = {}, em?: EntityManager): Promise<string | null> {
    if (!this.registry.jobs.some((d) => d.name === name)) throw new Error(`unknown job ${name}`);
    return this.boss.send(name, data, { ...options, db: em ? transactionDb(em) : undefined });
  }

  /**
   * Writes a transaction's jobs (WriteTransaction.enqueue, and the reactions to its events) in that transaction, as
   * one statement: a conversation's start writes several events, each with reactions of several modules, and its
   * timers, and a statement per job cost a round trip each inside the writer's transaction (holding its locks).
   */
  async sendInTransaction(em: EntityManager, jobs: Array<{ name: string; data: object; options: JobSendOptions }>, reactions: Array<{ reaction: RegisteredReaction; event: DomainEvent }>): Promise<void> {
    if (!jobs.length && !reactions.length) return;
    const inserts: PgBoss.JobInsert[] = jobs.map(({ name, data, options }) => {
      if (!this.registry.jobs.some((d) => d.name === name)) throw new Error(`unknown job ${name}`);
      // send() takes startAfter as seconds from now; insert() wants the instant.
      const startAfter = typeof options.startAfter === 'number' ? new Date(Date.now() + options.startAfter * 1000) : options.startAfter;
      return { name, data, ...options, startAfter };
    });
    for (const { reaction, event } of reactions) {
      const retry = reaction.retry ?? REACTION_RETRY;
      const data: ReactionJob = { reaction: reaction.key, workspaceId: event.workspaceId, event: { ...event, occurredAt: event.occurredAt.toISOString() } };
      inserts.push({ name: REACTIONS_QUEUE, data, retryLimit: retry.limit, retryDelay: retry.delaySeconds, retryBackoff: true });
    }
    await this.boss.insert(inserts, { db: transactionDb(em) });
  }

  /** The workspace's jobs that failed after their last retry, newest first. */
  async failedJobs(em: EntityManager, workspaceId: string, limit: number): Promise<FailedJob[]> {
    const rows = await em.getConnection().execute(
      `select id::text, name, data, output, retry_count, created_on, completed_on from pgboss.job
       where state = 'failed' and data->>'workspaceId' = ? order by completed_on desc, id limit ?`,
      [workspaceId, limit], 'all',
    );
    return rows.map((row: any) => ({
      id: row.id,
      name: row.name,
      reaction: row.name === REACTIONS_QUEUE ? row.data.reaction : null,
      eventTopic: row.data.event?.topic ?? null,
      eventPosition: row.data.event?.position ?? null,
      error: String(row.output?.message ?? row.output?.value ?? JSON.stringify(row.output ?? null)).slice(0, 2000),
      attempts: row.retry_count + 1,
      createdAt: new Date(row.created_on),
      failedAt: new Date(row.completed_on),
    }));
  }

  /** Runs a failed job again (with one more try); false when it is not a failed job of this workspace. */
  async retryFailed(em: EntityManager, workspaceId: string, id: string): Promise<boolean> {
    const [row] = await em.getConnection().execute(
      `select name from pgboss.job where id = ?::uuid and state = 'failed' and data->>'workspaceId' = ?`, [id, workspaceId], 'all',
    );
    if (!row) return false;
    await this.boss.retry(row.name, id);
    return true;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}

/**
 * pg-boss runs its statements through `db.executeSql(text, values)` with `$1` placeholders. MikroORM's `execute`
 * goes through knex, which wants `?`, so we reach the transaction's own pg connection, which knex hands out from
 * the transaction (its `client.acquireConnection()` returns the connection the transaction runs on).
 */
function transactionDb(em: EntityManager): PgBoss.Db {
  const knexTransaction = em.getTransactionContext();
  if (!knexTransaction) throw new Error('a job sent with an EntityManager must be sent inside its transaction');
  return {
    async executeSql(text, values) {
      const connection = await knexTransaction.client.acquireConnection();
      return connection.query(text, values);
    },
  };
}
