import pino, { Logger } from 'pino';
import type { Config } from './config';

/**
 * JSON lines on stdout. Requests are logged by the server plugin with their id, operation and duration; headers,
 * variables and bodies are never logged, so tokens, passwords and API keys cannot leak into logs. The redact list
 * is a second fence for any object that carries them by accident.
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['authorization', '*.authorization', 'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'headers', '*.headers'],
      censor: '[redacted]',
    },
  });
}
