import 'reflect-metadata';
// The composition root: the one file of src/ that imports modules/ (test/import-boundaries.test.ts holds this).
import { featureModules } from '../modules';
import { startApp, type RunningApp } from './app';
import { ConfigError, loadConfig } from './config';
import { EmbeddedPostgresError } from './db/embedded-postgres';
import { createLogger } from './logger';

/** `npm start`: config → database → schema → HTTP + WebSocket → jobs, then wait for SIGINT/SIGTERM/SIGHUP. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);

  // Listen for signals from the start: a signal during startup (`npm run dev` restarts when a file is saved) waits for
  // the start to finish and then stops as gracefully as later, instead of killing node with the database running.
  let app: RunningApp | undefined;
  let stopSignal: string | undefined;
  const stop = async (running: RunningApp, signal: string) => {
    logger.info({ signal }, 'shutting down');
    await running.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopSignal) return;
      stopSignal = signal;
      if (app) void stop(app, signal); // else still starting: stopped once started, below
    });
  }

  try {
    app = await startApp(config, logger, { modules: featureModules });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      console.error(`Port ${config.port} is taken: is the server already running? Stop it or set PORT.`);
    } else if (error instanceof EmbeddedPostgresError) {
      console.error(error.message);
    } else {
      console.error('Failed to start:', error);
    }
    process.exit(1);
  }
  if (stopSignal) return stop(app, stopSignal);

  const base = `http://localhost:${app.port}`;
  console.log(`\nService desk GraphQL API at ${base}/graphql (WebSocket: ws://localhost:${app.port}/graphql)`);
  if (config.playground) console.log(`Playground: open ${base}/graphql in a browser`);
  if (app.demo) {
    const added = app.demo.seededModules.length ? `; demo data added for ${app.demo.seededModules.join(', ')}` : '';
    console.log(`\nDemo workspace "${app.demo.workspaceName}"${app.demo.created ? ' (created now)' : ''}${added}; password for every login: ${app.demo.password}`);
    for (const login of app.demo.logins) console.log(`  ${login.role.padEnd(15)} ${login.email}`);
    console.log(`Demo partner API key: ${app.demo.apiKey}`);
    console.log('Send "Authorization: Bearer <token or API key>" (the playground has a Headers tab).\n');
  }
}

void main();
