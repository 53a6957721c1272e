import type { Principal } from '../auth/principal';
import type { Config } from '../config';
import { AppError } from '../graphql/errors';
import type { OperationCost, ThrottleStatus } from './limits';

/** Buckets that have been full this long are forgotten (a full bucket and no bucket are the same). */
const SWEEP_INTERVAL_MS = 60_000;

export interface Charge {
  allowed: boolean;
  status: ThrottleStatus;
  /** When refused: seconds until the bucket holds the requested cost again. */
  retryAfterSeconds?: number;
}

/**
 * Shopify's cost-based leaky bucket, one per client: a bucket holds up to `maximum` points and regains
 * `restoreRate` points a second; a request is admitted when the bucket holds its requested cost, which it then
 * takes. rate-limiter-flexible was considered, but its limiters count fixed windows (all points back at once when
 * a window ends), not a continuous refill, and report no fractional level; this is the whole algorithm.
 *
 * Kept in this instance's memory, so no request pays a database round trip: with RATE_LIMIT_INSTANCES = n, each
 * instance keeps 1/n of the budget and refill, which adds up to the configured budget when the load balancer
 * spreads a client's requests evenly (round robin, least connections). A client pinned to one instance gets 1/n.
 */
export class CostBuckets {
  readonly maximum: number;
  readonly restoreRate: number;
  private readonly buckets = new Map<string, { level: number; at: number }>();
  private lastSweep: number;

  constructor(
    config: Pick<Config, 'rateLimitMaximum' | 'rateLimitRestoreRate' | 'rateLimitInstances'>,
    private readonly now: () => number = Date.now,
  ) {
    this.maximum = config.rateLimitMaximum / config.rateLimitInstances;
    this.restoreRate = config.rateLimitRestoreRate / config.rateLimitInstances;
    this.lastSweep = now();
  }

  /** Takes `cost` points from the client's bucket if it holds them; refuses (taking nothing) otherwise. */
  charge(client: string, cost: number): Charge {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(client) ?? { level: this.maximum, at: now };
    bucket.level = Math.min(this.maximum, bucket.level + ((now - bucket.at) / 1000) * this.restoreRate);
    bucket.at = now;
    const allowed = cost <= bucket.level;
    if (allowed) bucket.level -= cost;
    this.buckets.set(client, bucket);
    const status = { maximumAvailable: this.maximum, currentlyAvailable: Math.floor(bucket.level), restoreRate: this.restoreRate };
    if (allowed) return { allowed, status };
    return { allowed, status, retryAfterSeconds: Math.max(1, Math.ceil((cost - bucket.level) / this.restoreRate)) };
  }

  /** Forgets buckets that have refilled, so memory follows the clients active in the last minutes, not all ever seen. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [client, bucket] of this.buckets) {
      if (bucket.level + ((now - bucket.at) / 1000) * this.restoreRate >= this.maximum) this.buckets.delete(client);
    }
  }
}

/**
 * Whose budget a request spends: the user (all their sessions together), the API key, the guest (all tokens of
 * one record together: a visitor's widget in several tabs), or the anonymous client's IP.
 */
export function budgetKey(principal: Principal | undefined, clientIp: string | undefined): string {
  if (principal?.kind === 'GUEST') return `guest:${principal.guest.type}:${principal.guest.id}`;
  if (principal?.apiKeyId) return `key:${principal.apiKeyId}`;
  if (principal?.userId) return `user:${principal.userId}`;
  return `ip:${clientIp ?? 'unknown'}`;
}

/**
 * Charges the operation's requested cost to the caller's bucket and reports the bucket in `cost.throttleStatus`;
 * an exhausted bucket is THROTTLED (HTTP 429 with Retry-After), and the operation does not run.
 */
export function chargeBudget(buckets: CostBuckets, ctx: { principal?: Principal; clientIp?: string }, cost: OperationCost): void {
  const charge = buckets.charge(budgetKey(ctx.principal, ctx.clientIp), cost.requested);
  cost.throttleStatus = charge.status;
  if (charge.allowed) return;
  const retryAfter = charge.retryAfterSeconds!;
  throw new AppError('THROTTLED', `This client has used up its query budget; retry in ${retryAfter} s (the budget regains ${buckets.restoreRate} points a second)`, {
    retryAfter,
    cost,
    http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) },
  });
}
