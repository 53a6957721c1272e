import { randomUUID } from 'node:crypto';
import { DeadlockException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type DataLoader from 'dataloader';
import { workspaceById } from '../auth/loaders';
import type { GuestPrincipal, Principal, StaffPrincipal } from '../auth/principal';
import { WORKSPACE_FILTER } from '../db/tenancy';
import { AppError } from '../graphql/errors';
import { WorkspaceClock } from '../kernel/clock';
import type { AppServices } from './services';
import { WriteTransaction } from './write-transaction';

/** A transaction that PostgreSQL aborted to break a deadlock (or a serialization failure) runs again, this often in all. */
const TRANSACTION_ATTEMPTS = 3;

/** Failures that mean "the same work, run again, will probably succeed": nothing was written. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return error instanceof DeadlockException || code === '40P01' || code === '40001';
}

/**
 * Everything one request (or one subscription, or one job) works with: its own EntityManager fork confined to the
 * principal's workspace, its own DataLoaders, the principal, and the app's services. Services take it first.
 */
export class RequestContext {
  readonly loaders = new Map<string, DataLoader<any, any>>();
  private scopedWorkspaceId?: string;
  private ownEm?: EntityManager;

  /** `em` undefined: a fork of the app's EntityManager, made when first used. */
  constructor(
    readonly app: AppServices,
    em: EntityManager | undefined,
    readonly principal: Principal | undefined,
    readonly requestId: string = randomUUID(),
    workspaceId?: string,
    /** The client's address (X-Forwarded-For only as TRUST_PROXY allows); rate limits and login throttling key on it. */
    readonly clientIp?: string,
  ) {
    this.scopedWorkspaceId = principal?.workspaceId ?? workspaceId;
    if (em) this.ownEm = this.scoped(em);
  }

  /**
   * This context's EntityManager, confined to its workspace. A request's fork is made on first use: a fork costs
   * about 20 µs (MikroORM writes process.env twice in it), and many requests never reach the database through it
   * (`__typename`, a principal's own fields, a refused operation).
   */
  get em(): EntityManager {
    return (this.ownEm ??= this.scoped(this.app.orm.em.fork() as EntityManager));
  }

  private scoped(em: EntityManager): EntityManager {
    if (this.scopedWorkspaceId) em.setFilterParams(WORKSPACE_FILTER, { id: this.scopedWorkspaceId });
    return em;
  }

  /** A context for a request, scoped to the principal's workspace; its EntityManager fork is made when first used. */
  static forRequest(app: AppServices, principal: Principal | undefined, requestId?: string, clientIp?: string): RequestContext {
    return new RequestContext(app, undefined, principal, requestId, undefined, clientIp);
  }

  /** A principal-less context inside one workspace, for jobs and demo data; its audit entries say SYSTEM. */
  static forSystem(app: AppServices, workspaceId?: string): RequestContext {
    return new RequestContext(app, undefined, undefined, randomUUID(), workspaceId);
  }

  get workspaceId(): string {
    if (!this.scopedWorkspaceId) throw AppError.unauthenticated();
    return this.scopedWorkspaceId;
  }

  /**
   * The staff principal (a user or an API key): UNAUTHENTICATED when anonymous, FORBIDDEN for a guest. For code
   * that acts as a member of the workspace (it records the user, checks the role).
   */
  get caller(): StaffPrincipal {
    if (!this.principal) throw AppError.unauthenticated();
    if (this.principal.kind === 'GUEST') throw AppError.staffOnly();
    return this.principal;
  }

  /** The guest calling with a guest token (src/auth/guest-tokens.ts), or undefined for staff and anonymous callers. */
  get guest(): GuestPrincipal | undefined {
    return this.principal?.kind === 'GUEST' ? this.principal : undefined;
  }

  can(permission: string): boolean {
    return this.principal?.permissions.has(permission) ?? false;
  }

  /** The workspace's clock: every date rule asks it what "today" is (src/kernel/clock.ts). */
  async clock(): Promise<WorkspaceClock> {
    // Through the request's loader: the fields of a whole list ask at once, and one statement answers them all.
    const workspace = await workspaceById(this).load(this.workspaceId);
    return new WorkspaceClock(workspace!.timeZone);
  }

  private signedIn?: Principal;

  /**
   * Whose rights decide which objects the response may show (src/auth/read-access.ts): the principal, or in an
   * anonymous request whose login or signUp succeeded, the session it opened, whose payload that user receives
   * (or, for a chat widget's conversationStart, the visitor the start identified).
   */
  get reader(): Principal | undefined {
    return this.principal ?? this.signedIn;
  }

  /**
   * Called by login, signUp and the widget's conversationStart: the rest of this response is read with these rights,
   * inside their workspace (an anonymous request had none).
   */
  readAs(principal: Principal): void {
    this.signedIn = principal;
    if (!this.scopedWorkspaceId) {
      this.scopedWorkspaceId = principal.workspaceId;
      if (this.ownEm) this.scoped(this.ownEm);
    }
  }

  /**
   * Forgets what this context has read (DataLoader caches and the EntityManager's identity map), so what is read
   * next comes from the database: after a transaction commits, and before each event of a subscription.
   */
  forgetReads(): void {
    this.loaders.clear();
    this.ownEm?.clear();
  }

  /**
   * Runs `work` in one transaction; its events and jobs are written with it (WriteTransaction.finish). On any throw nothing is written; a
   * transaction PostgreSQL aborted for a deadlock or a serialization failure runs `work` again (fresh WriteTransaction),
   * so `work` must keep its effects inside the transaction.
   * After it commits, the request's DataLoader caches are dropped: a mutation payload, or the next mutation of the
   * same document, must not see a batch loaded before the change. Entities the request already holds stay as they
   * are; a service that changes rows with raw SQL re-reads the entities it returns.
   */
  async transaction<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T> {
    // Only the outermost transaction retries: a deadlock aborts all of it, savepoints included.
    const attempts = this.em.isInTransaction() ? 1 : TRANSACTION_ATTEMPTS;
    for (let attempt = 1; ; attempt++) {
      try {
        const { result, tx } = await this.em.transactional(async (em) => {
          const tx = new WriteTransaction(this, em as EntityManager);
          const result = await work(tx);
          // MikroORM flushes once more after this callback, before COMMIT; it is the only flush a transaction that
          // has no events and no jobs needs (a no-op mark read, say: each flush walks every entity the transaction holds).
          if (tx.hasPendingWrites()) {
            await em.flush();
            await tx.finish();
          }
          return { result, tx };
        });
        this.loaders.clear();
        tx.committed();
        return result;
      } catch (error) {
        if (attempt >= attempts || !isRetryable(error)) throw error;
        this.app.logger.warn({ requestId: this.requestId, attempt, code: (error as { code?: string }).code }, 'transaction retried');
      }
    }
  }

}
