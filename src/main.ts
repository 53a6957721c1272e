import 'reflect-metadata';
import { startApp } from './app';
import { ConfigError, loadConfig } from './config';
import { EmbeddedPostgresInUseError } from './db/embedded-postgres';
import { createLogger } from './logger';

/** `npm start`: config → database → schema → HTTP + WebSocket → jobs, then wait for SIGINT/SIGTERM. */
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
  let app;
  try {
    app = await startApp(config, logger);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      console.error(`Port ${config.port} is taken: is the server already running? Stop it or set PORT.`);
    } else if (error instanceof EmbeddedPostgresInUseError) {
      console.error(error.message);
    } else {
      console.error('Failed to start:', error);
    }
    process.exit(1);
  }

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

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
