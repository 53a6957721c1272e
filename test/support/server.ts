import pino from 'pino';
import { featureModules } from '../../modules';
import { startApp, type RunningApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { ModuleDefinition } from '../../src/kernel/module';
import { createTestDatabase } from './database';

export interface TestServer extends RunningApp {
  databaseUrl: string;
  databaseName: string;
  wsUrl: string;
}

/**
 * Starts a real server instance (HTTP + WebSocket + events + jobs) on a free loopback port. Pass the database of
 * another TestServer to run a second instance against the same database.
 */
export async function startTestServer(
  options: {
    database?: { url: string; name: string };
    env?: Record<string, string>;
    logStream?: NodeJS.WritableStream;
    /** The feature modules, in order; modules/index.ts's list when not given. */
    modules?: ModuleDefinition[];
    /** Modules of a test, after the feature modules (contribution-only ones: their tables would have no migration). */
    extraModules?: ModuleDefinition[];
    /** How long an idle job worker waits before it polls again (0.5 s unless given). */
    jobPollingIntervalSeconds?: number;
  } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: database.url,
    DB_POOL_SIZE: '5',
    DEMO_DATA: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every test client is 127.0.0.1: a budget no test exhausts unless it sets its own (test/rate-limits.test.ts).
    RATE_LIMIT_MAXIMUM: '1000000000',
    RATE_LIMIT_RESTORE_RATE: '1000000000',
    ...options.env,
  });
  const logger = options.logStream ? pino({ level: 'info' }, options.logStream) : pino({ level: config.logLevel });
  const app = await startApp(config, logger, {
    modules: [...(options.modules ?? featureModules), ...(options.extraModules ?? [])], jobPollingIntervalSeconds: options.jobPollingIntervalSeconds ?? 0.5,
  });
  return { ...app, databaseUrl: database.url, databaseName: database.name, wsUrl: app.url.replace(/^http/, 'ws') };
}
