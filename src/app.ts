import type { Logger } from 'pino';
import type { Config } from './config';
import type { AppServices } from './context';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres';
import { migrate, openOrm, withStartupLock } from './db/orm';
import { EventLog } from './kernel/event-log';
import { Signals } from './kernel/signals';
import { PrincipalCache } from './auth/principal-cache';
import { JobQueue } from './kernel/jobs';
import type { ModuleDefinition } from './kernel/module';
import { createRegistry } from './kernel/registry';
import { seedDemoWorkspace, type DemoSummary } from './kernel/demo';
import { startHttpServer } from './server/http';
import { buildAppSchema } from './server/schema';

export interface RunningApp {
  services: AppServices;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  port: number;
  demo?: DemoSummary;
  /** Graceful stop: stop accepting, drain HTTP and WebSockets, stop jobs and events, close the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The feature modules, in order (src/main.ts passes modules/index.ts's list); the platform's own come first. */
  modules: ModuleDefinition[];
  /** Job polling, shortened by tests. */
  jobPollingIntervalSeconds?: number;
}

/** Starts one server instance: database, migrations, schema, HTTP and WebSocket, events, jobs, demo data. */
export async function startApp(config: Config, logger: Logger, options: StartOptions): Promise<RunningApp> {
  const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      logger.debug({ step: cleanup.name }, 'stopping');
      await cleanup.run().catch((error) => logger.error({ err: error, step: cleanup.name }, 'error during shutdown'));
    }
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        log: (line) => logger.debug({ postgres: line }),
      });
      cleanups.push({ name: 'embedded postgres', run: () => embedded.stop() });
      databaseUrl = embedded.url;
      logger.info({ dataDir: config.dataDir, port: embedded.port }, 'embedded PostgreSQL started');
    }

    const registry = createRegistry(options.modules);
    const orm = await openOrm(databaseUrl, registry.entities, config.dbPoolSize, logger);
    cleanups.push({ name: 'database connections', run: () => orm.close(true) });
    const jobs = new JobQueue(databaseUrl, registry, logger, {
      workers: config.jobWorkers,
      pollingIntervalSeconds: options.jobPollingIntervalSeconds,
    });
    const events = new EventLog(orm, databaseUrl, logger, config.eventPollMs);
    const signals = new Signals(orm, databaseUrl, logger);
    const principals = PrincipalCache.following(events, config.principalCacheSeconds);
    const services: AppServices = { config, orm, registry, events, signals, jobs, logger, principals };
    cleanups.push({ name: 'job queue', run: () => jobs.stop() });
    // Schema changes, queue creation and demo data: one instance at a time, so instances may start together.
    const demo = await withStartupLock(databaseUrl, async () => {
      const applied = await migrate(orm);
      if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
      await jobs.start(services);
      return config.demoData ? await seedDemoWorkspace(services) : undefined;
    });
    // After the migrations: it reads the log's table.
    await events.start();
    cleanups.push({ name: 'event log reader', run: () => events.close() });
    await signals.start();
    cleanups.push({ name: 'signal listener', run: () => signals.close() });

    if (config.jobWorkers) {
      for (const module of registry.modules) {
        if (!module.background) continue;
        const work = module.background(services);
        await work.start();
        cleanups.push({ name: `${module.name} background work`, run: () => work.stop() });
      }
    }

    const schema = buildAppSchema(registry);
    const http = await startHttpServer(services, schema, config.port);
    cleanups.push({ name: 'http and websocket server', run: () => http.stop() });
    const port = (http.server.address() as { port: number }).port;

    return { services, url: `http://127.0.0.1:${port}/graphql`, port, demo, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

