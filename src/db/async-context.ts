import { createHash } from 'node:crypto';
import { TransactionContext, UnitOfWork } from '@mikro-orm/core';

/*
 * Why we patch MikroORM here (issue 8, bench:hooks): on Node 20 the first `run` of any AsyncLocalStorage turns on
 * promise hooks for the whole process, for good, and every promise of every later request pays them: a server that
 * had written once paid 20–40 % more CPU per request (bench/RESULTS.md, "The async-hook cost and the forks"). MikroORM 6.6 enters two
 * storages on every write, and our code reads neither:
 * - `TransactionContext.create` keeps em.transactional's EntityManager for code that resolves the *global*
 *   EntityManager inside the callback. We never do: every request, job and transaction has its own fork (forks have
 *   `useContext: false` and never look there), passed as an argument (RequestContext, WriteTransaction).
 * - `UnitOfWork.commit` marks "inside a flush" so that a flush started from a flush hook throws instead of waiting
 *   for itself, and so that a query run by a hook during the flush does not auto-flush. We have no flush hooks
 *   (WorkspaceStamp only sets a field), and the unit of work's own `working` flag says the same for ours.
 * MikroORM has no option to turn either off; Node >= 22.7 with --experimental-async-context-frame (the default from
 * Node 24) makes AsyncLocalStorage free of hooks, and then this file can go. Upgrading MikroORM: the fingerprints
 * below stop matching and startup refuses to run until the patch is reviewed (test/async-hooks.test.ts).
 */

/** sha256 (first 16 hex digits) of the source of each patched function, as in @mikro-orm/core 6.6.16. */
const PATCHED_SOURCES = {
  'UnitOfWork.commit': '086c4514d47f2396',
  'UnitOfWork.shouldAutoFlush': '36ed8166757cf9a3',
  'TransactionContext.create': 'ba04172251e799c2',
};

const fingerprint = (fn: Function) => createHash('sha256').update(fn.toString()).digest('hex').slice(0, 16);

// The private parts of MikroORM's UnitOfWork the commit below uses, as in 6.6.16.
interface UnitOfWorkInternals {
  working: boolean;
  flushQueue: Array<() => Promise<void>>;
  doCommit(): Promise<void>;
  postCommitCleanup(): void;
}

let applied = false;

/** Applies the patch once per loaded copy of @mikro-orm/core; throws when that copy is not the one reviewed. */
export function keepMikroOrmOutOfAsyncLocalStorage(): void {
  if (applied) return;
  const uow = UnitOfWork.prototype as unknown as UnitOfWorkInternals & { commit(): Promise<void>; shouldAutoFlush(meta: unknown): boolean };
  const found = {
    'UnitOfWork.commit': fingerprint(uow.commit),
    'UnitOfWork.shouldAutoFlush': fingerprint(uow.shouldAutoFlush),
    'TransactionContext.create': fingerprint(TransactionContext.create),
  };
  const changed = Object.entries(PATCHED_SOURCES).filter(([name, expected]) => found[name as keyof typeof found] !== expected);
  if (changed.length) {
    throw new Error(
      `MikroORM changed ${changed.map(([name]) => name).join(', ')} since src/db/async-context.ts was written: review that ` +
        'patch against the new source (does it still enter an AsyncLocalStorage on every write?), then update its fingerprints or remove it',
    );
  }

  // The callback runs without the storage: nothing of ours reads it (see above).
  TransactionContext.create = <T>(_em: unknown, next: (...args: any[]) => T): T => next();

  // MikroORM 6.6.16's commit, the "inside a flush" storage left out: a flush asked for while one runs waits its turn.
  uow.commit = async function commit(this: UnitOfWorkInternals): Promise<void> {
    if (this.working) {
      return new Promise<void>((resolve, reject) => {
        this.flushQueue.push(() => this.doCommit().then(resolve, reject));
      });
    }
    try {
      this.working = true;
      await this.doCommit();
      while (this.flushQueue.length) await this.flushQueue.shift()!();
    } finally {
      this.postCommitCleanup();
      this.working = false;
    }
  };

  // During a flush, nothing auto-flushes (the storage's answer, from the unit of work's own flag).
  const shouldAutoFlush = uow.shouldAutoFlush;
  uow.shouldAutoFlush = function (this: UnitOfWorkInternals, meta: unknown): boolean {
    return !this.working && shouldAutoFlush.call(this, meta);
  };
  applied = true;
}
