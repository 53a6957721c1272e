import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { RequestContext, type AppServices } from '../context';
import type { JobDefinition } from './module';

/**
 * Background and scheduled work on pg-boss, in the `pgboss` schema of the same database, so that jobs survive
 * restarts and each job runs once whichever instance picks it up. Every instance can enqueue; only instances
 * started with JOB_WORKERS=true (the default) run handlers. pg-boss makes sure a cron schedule fires once.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    databaseUrl: string,
    private readonly definitions: JobDefinition[],
    private readonly logger: Logger,
    private readonly options: { workers: boolean; pollingIntervalSeconds?: number },
  ) {
    this.boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss', max: 4, application_name: 'service-desk-jobs' });
    // pg-boss reports connection trouble here; without a listener an 'error' event would crash the process.
    this.boss.on('error', (error) => this.logger.warn({ err: error.message }, 'job queue error'));
  }

  async start(app: AppServices): Promise<void> {
    await this.boss.start();
    this.started = true;
    for (const job of this.definitions) {
      await this.boss.createQueue(job.name);
      if (job.schedule) await this.boss.schedule(job.name, job.schedule, {}, { tz: 'UTC' });
      if (this.options.workers) {
        await this.boss.work(job.name, { pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2 }, async (batch) => {
          for (const item of batch) {
            const ctx = RequestContext.forSystem(app);
            this.logger.info({ job: job.name, jobId: item.id }, 'job started');
            await job.handler(ctx, item.data as object);
          }
        });
      }
    }
  }

  /** Enqueues a job; returns its id. */
  async send(name: string, data: object = {}, options: PgBoss.SendOptions = {}): Promise<string | null> {
    if (!this.definitions.some((d) => d.name === name)) throw new Error(`unknown job ${name}`);
    return this.boss.send(name, data, options);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
