import type { Logger } from 'pino';
import type { PrincipalCache } from '../auth/principal-cache';
import type { Config } from '../config';
import type { Orm } from '../db/orm';
import type { EventLog } from '../kernel/event-log';
import type { JobQueue } from '../kernel/jobs';
import type { ModuleRegistry } from '../kernel/module';
import type { Signals } from '../kernel/signals';

/** The long-lived parts of one server instance, shared by all its requests. */
export interface AppServices {
  config: Config;
  orm: Orm;
  registry: ModuleRegistry;
  events: EventLog;
  /** Ephemeral signals (typing, presence) to subscribers on every instance, never stored. */
  signals: Signals;
  jobs: JobQueue;
  logger: Logger;
  /** Principals this instance authenticated recently, by token hash. */
  principals: PrincipalCache;
}
