import path from 'node:path';
import proxyaddr from 'proxy-addr';

/** Every setting of the server, read from the environment once at start (see the README's configuration table). */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  /** External PostgreSQL; when absent an embedded PostgreSQL is started in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  dbPoolSize: number;
  /** Keys the hashes of session tokens and API keys (src/auth/credentials.ts); production must set its own. */
  secret: string;
  demoData: boolean;
  introspection: boolean;
  playground: boolean;
  /** Whether this instance runs background job workers (all instances can enqueue). */
  jobWorkers: boolean;
  logLevel: string;
  maxQueryDepth: number;
  maxQueryCost: number;
  /** Per operation, checked before execution (src/server/limits.ts): the document's tokens (parse), aliases and directives (validation). */
  maxQueryTokens: number;
  maxQueryAliases: number;
  maxQueryDirectives: number;
  /** Root fields of one operation, counted through fragments. */
  maxRootFields: number;
  /** Fields and fragment spreads of an operation with every fragment spread expanded (what pricing visits). */
  maxQueryNodes: number;
  /** The cost budget of each client (src/server/rate-limit.ts): a bucket of this many points for the deployment… */
  rateLimitMaximum: number;
  /** …refilled at this many points a second… */
  rateLimitRestoreRate: number;
  /** …split evenly between this many instances, each keeping its share in memory. */
  rateLimitInstances: number;
  /** Failed logins within 15 minutes before THROTTLED: for one email from one client address, and from one address. */
  loginFailureLimit: number;
  loginClientFailureLimit: number;
  /** Express's 'trust proxy': whether (and which) proxies' X-Forwarded-For names the client. */
  trustProxy: boolean | number | string[];
  /** Test-only: report the number of SQL statements a request ran in `extensions.sqlStatements`. */
  exposeSqlCount: boolean;
  sessionTtlDays: number;
  /** How long a password-reset token from userPasswordReset may be redeemed. */
  passwordResetTtlHours: number;
  /** How often open WebSocket connections have their credential checked again (expiry, missed revocations). */
  wsReauthSeconds: number;
  /** How long an instance keeps a principal it authenticated (src/auth/principal-cache.ts); 0 turns the cache off. */
  principalCacheSeconds: number;
  /** Domain events older than this are pruned from the event log; a subscriber can resume within it. */
  eventRetentionDays: number;
  /** How often each instance reads the event log besides being woken by NOTIFY (the fallback while LISTEN is down). */
  eventPollMs: number;
  /** Webhook endpoints may be http and on private or loopback addresses (development and tests only). */
  webhookAllowLocal: boolean;
  /** A webhook delivery is retried this long; an endpoint failing this long is disabled. */
  webhookRetryWindowSeconds: number;
  /** The first retry of a webhook delivery waits this long, each next one twice as long (at most an hour). */
  webhookRetryBaseMs: number;
  /** Browser origins (`https://app.example`) allowed to call the API from another origin (src/server/cors.ts). */
  corsOrigins: string[];
  /** Development without CORS_ORIGINS: any http://localhost or http://127.0.0.1 origin, on any port, is allowed. */
  corsAllowLocalhost: boolean;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** TRUST_PROXY: true/false, a number of proxy hops, or a comma list of proxy addresses or subnets (as express takes it). */
function readTrustProxy(env: Env): Config['trustProxy'] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  try {
    return readBoolean(env, 'TRUST_PROXY', false);
  } catch {
    const list = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
    try {
      proxyaddr.compile(list);
    } catch (error) {
      throw new ConfigError('TRUST_PROXY', `must be true, false, a number of hops or a comma list of addresses or subnets: ${(error as Error).message}`);
    }
    return list;
  }
}

/** CORS_ORIGINS: a comma list of exact origins (scheme, host and port as a browser sends them in `Origin`). */
function readOrigins(env: Env, name: string): string[] {
  const raw = env[name] ?? '';
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const url = URL.canParse(entry) ? new URL(entry) : undefined;
      // A browser's Origin header is exactly `url.origin`: lower-case, no path, no trailing slash, no default port.
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry) {
        throw new ConfigError(name, `must be a comma list of origins like https://app.example or http://localhost:5173 (scheme, host, optional port; no path or trailing slash), got "${entry}"`);
      }
      return entry;
    });
}

const DEVELOPMENT_SECRET = 'development-only-secret-do-not-use-in-production';

/** Reads and validates the configuration; throws a ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = (env.NODE_ENV ?? 'development') as Config['nodeEnv'];
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${env.NODE_ENV}"`);
  }
  const production = nodeEnv === 'production';

  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  if (production && !databaseUrl) {
    throw new ConfigError('DATABASE_URL', 'is required when NODE_ENV=production (the embedded database is for development)');
  }

  const secret = env.APP_SECRET || (production ? '' : DEVELOPMENT_SECRET);
  if (!secret) throw new ConfigError('APP_SECRET', 'is required when NODE_ENV=production');
  if (production && secret.length < 32) throw new ConfigError('APP_SECRET', 'must be at least 32 characters');

  const demoData = readBoolean(env, 'DEMO_DATA', nodeEnv === 'development');
  if (production && demoData) {
    throw new ConfigError('DEMO_DATA', 'cannot be on when NODE_ENV=production: its logins and API key are published in the README');
  }

  const logLevel = env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`);
  }

  const maxQueryCost = readInteger(env, 'MAX_QUERY_COST', 2000, 10, 1_000_000);
  const rateLimitMaximum = readInteger(env, 'RATE_LIMIT_MAXIMUM', 4000, 10, 1_000_000_000);
  const rateLimitInstances = readInteger(env, 'RATE_LIMIT_INSTANCES', 1, 1, 1000);
  if (rateLimitMaximum / rateLimitInstances < maxQueryCost) {
    throw new ConfigError('RATE_LIMIT_MAXIMUM', `divided by RATE_LIMIT_INSTANCES (${rateLimitInstances}) must be at least MAX_QUERY_COST (${maxQueryCost}), or the costliest query allowed could never run`);
  }
  const corsOrigins = readOrigins(env, 'CORS_ORIGINS');

  return {
    nodeEnv,
    port: readInteger(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR || path.join(process.cwd(), '.data')),
    dbPoolSize: readInteger(env, 'DB_POOL_SIZE', 10, 1, 200),
    secret,
    demoData,
    introspection: readBoolean(env, 'GRAPHQL_INTROSPECTION', !production),
    playground: readBoolean(env, 'GRAPHQL_PLAYGROUND', !production),
    jobWorkers: readBoolean(env, 'JOB_WORKERS', true),
    logLevel,
    maxQueryDepth: readInteger(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
    maxQueryCost,
    maxQueryTokens: readInteger(env, 'MAX_QUERY_TOKENS', 2000, 100, 1_000_000),
    maxQueryAliases: readInteger(env, 'MAX_QUERY_ALIASES', 30, 0, 10_000),
    maxQueryDirectives: readInteger(env, 'MAX_QUERY_DIRECTIVES', 50, 0, 10_000),
    maxRootFields: readInteger(env, 'MAX_ROOT_FIELDS', 20, 1, 10_000),
    maxQueryNodes: readInteger(env, 'MAX_QUERY_NODES', 2000, 10, 1_000_000),
    rateLimitMaximum,
    rateLimitRestoreRate: readInteger(env, 'RATE_LIMIT_RESTORE_RATE', 200, 1, 1_000_000_000),
    rateLimitInstances,
    trustProxy: readTrustProxy(env),
    loginFailureLimit: readInteger(env, 'LOGIN_FAILURE_LIMIT', 10, 1, 10_000),
    loginClientFailureLimit: readInteger(env, 'LOGIN_CLIENT_FAILURE_LIMIT', 50, 1, 100_000),
    exposeSqlCount: readBoolean(env, 'EXPOSE_SQL_COUNT', nodeEnv === 'test'),
    sessionTtlDays: readInteger(env, 'SESSION_TTL_DAYS', 30, 1, 365),
    passwordResetTtlHours: readInteger(env, 'PASSWORD_RESET_TTL_HOURS', 24, 1, 168),
    wsReauthSeconds: readInteger(env, 'WS_REAUTH_SECONDS', 30, 1, 3600),
    principalCacheSeconds: readInteger(env, 'PRINCIPAL_CACHE_SECONDS', 5, 0, 60),
    eventRetentionDays: readInteger(env, 'EVENT_RETENTION_DAYS', 7, 1, 365),
    eventPollMs: readInteger(env, 'EVENT_POLL_MS', 1000, 50, 60_000),
    webhookAllowLocal: readBoolean(env, 'WEBHOOK_ALLOW_LOCAL', nodeEnv !== 'production'),
    webhookRetryWindowSeconds: readInteger(env, 'WEBHOOK_RETRY_WINDOW_SECONDS', 86_400, 1, 30 * 86_400),
    webhookRetryBaseMs: readInteger(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 100, 3_600_000),
    corsOrigins,
    corsAllowLocalhost: nodeEnv === 'development' && corsOrigins.length === 0,
  };
}
