import { LRUCache } from 'lru-cache';
import type { EventLog } from '../kernel/event-log';
import type { EventRefs } from '../kernel/events';
import { ACCESS_REVOKED, USER_CHANGED } from './events';
import { isConcernedBy, type StaffPrincipal } from './principal';

/** Principals kept per instance at most: the oldest-used go first (a bound on memory, not on correctness). */
const MAX_ENTRIES = 10_000;

interface Entry {
  principal: StaffPrincipal;
  /** When the credential itself expires (ms since the epoch), checked on every hit; null for keys that never expire. */
  credentialExpiresAt: number | null;
}

/** Where a lookup started: what it found is kept only if no invalidation happened since (see `remember`). */
export type Generation = number;

/**
 * Staff principals by the keyed hash of their token (session token or API key; guest tokens need no cache), for a few seconds
 * (PRINCIPAL_CACHE_SECONDS), so that most requests authenticate without a database round trip.
 *
 * Kept correct by invalidation, the TTL being only the bound when an invalidation is late:
 * - the instance that revokes or changes a user drops the concerned principals when its transaction commits
 *   (`forget`, called through `tx.afterCommit`);
 * - every instance drops them when it reads the identity event from the log (ACCESS_REVOKED, USER_CHANGED);
 * - an instance that may be missing events (its log reader failed, or its LISTEN connection is down and it reads
 *   only on the timer) drops everything and caches nothing until it is back;
 * - a lookup that was reading the database while an invalidation happened is not cached (the generation check): it
 *   may have read the row before the change committed, and its answer would otherwise outlive the invalidation.
 * Invalidations are rare (logout, revocation, user edits) against reads, so one global generation is enough.
 */
export class PrincipalCache {
  private readonly entries?: LRUCache<string, Entry>;
  private generation: Generation = 0;

  constructor(
    ttlSeconds: number,
    /** False while the instance may be missing events: nothing is cached then. */
    private readonly eventsReliable: () => boolean = () => true,
  ) {
    if (ttlSeconds > 0) this.entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES, ttl: ttlSeconds * 1000 });
  }

  /** A cache fed by this instance's event log: the identity events invalidate, a reader in trouble clears it. */
  static following(events: EventLog, ttlSeconds: number): PrincipalCache {
    const cache = new PrincipalCache(ttlSeconds, () => events.listening && !events.interrupted);
    events.listen((event) => {
      if (event.topic === ACCESS_REVOKED.topic || event.topic === USER_CHANGED.topic) cache.forget(event.refs);
    });
    events.onInterruption(() => cache.clear());
    return cache;
  }

  /** The principal cached for this token hash, unless its credential has expired by `now`. */
  get(tokenHash: string, now: Date): StaffPrincipal | undefined {
    const entry = this.entries?.get(tokenHash);
    if (!entry) return undefined;
    if (entry.credentialExpiresAt !== null && entry.credentialExpiresAt <= now.getTime()) {
      this.entries!.delete(tokenHash);
      return undefined;
    }
    return entry.principal;
  }

  /** Taken before a lookup reads the database; hand it to `remember`. */
  get currentGeneration(): Generation {
    return this.generation;
  }

  /** Keeps what a lookup found, if nothing was invalidated since it started (`since`) and events are reliable. */
  remember(tokenHash: string, principal: StaffPrincipal, credentialExpiresAt: Date | null, since: Generation): void {
    if (!this.entries || since !== this.generation || !this.eventsReliable()) return;
    this.entries.set(tokenHash, { principal, credentialExpiresAt: credentialExpiresAt?.getTime() ?? null });
  }

  /** Drops the principals an identity event concerns (its session, key or user), and any lookup in flight. */
  forget(refs: EventRefs): void {
    this.generation++;
    if (!this.entries) return;
    const concerned = [...this.entries.entries()].filter(([, entry]) => isConcernedBy(entry.principal, refs)).map(([hash]) => hash);
    for (const hash of concerned) this.entries.delete(hash);
  }

  /** Drops everything, lookups in flight included. */
  clear(): void {
    this.generation++;
    this.entries?.clear();
  }
}
