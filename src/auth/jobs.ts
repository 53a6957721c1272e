import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobDefinition } from '../kernel/module';
import { LoginFailure, PasswordReset, Session } from './entities';

/** How long dead sessions stay for inspection before the nightly purge removes them. */
const KEEP_DEAD_SESSIONS_DAYS = 7;

/**
 * Nightly: delete sessions that expired or were revoked more than a week ago, in every workspace, password resets
 * that expired as long ago, and old login failures.
 */
export const purgeSessionsJob: JobDefinition = {
  name: 'identity.purgeSessions',
  schedule: '17 3 * * *',
  async handler(ctx) {
    const cutoff = new Date(Date.now() - KEEP_DEAD_SESSIONS_DAYS * 86_400_000);
    const em = ctx.em as EntityManager;
    await em.nativeDelete(Session, { $or: [{ expiresAt: { $lt: cutoff } }, { revokedAt: { $lt: cutoff } }] }, { filters: false });
    await em.nativeDelete(PasswordReset, { expiresAt: { $lt: cutoff } }, { filters: false });
    await em.nativeDelete(LoginFailure, { createdAt: { $lt: new Date(Date.now() - 86_400_000) } });
  },
};
