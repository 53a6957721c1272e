import type { EntityManager } from '@mikro-orm/postgresql';
import { ActorKind, AuditEntry } from '../audit/entities';
import { AUDIT_ENTRY_ADDED } from '../audit/events';
import { appendEvents } from '../kernel/event-log';
import type { EventRefs, EventType, PendingEvent, RefsArgument } from '../kernel/events';
import type { JobDefinition } from '../kernel/module';
import type { JobSendOptions } from '../kernel/jobs';
import { RequestContext } from './request-context';

/** What an audit entry records about a change. */
export interface AuditRecord {
  action: string;
  subjectType: string;
  subjectId: string;
  changes?: Record<string, unknown>;
}

/**
 * Inside `ctx.transaction`: the transaction's EntityManager, plus what commits with it or not at all: audit
 * entries, domain events (written to the event log, which also starts the modules' reactions) and jobs.
 */
export class WriteTransaction {
  private readonly events: PendingEvent[] = [];
  private readonly jobs: Array<{ name: string; data: object; options: JobSendOptions }> = [];
  private readonly committedCallbacks: Array<() => void> = [];

  constructor(
    readonly ctx: RequestContext,
    readonly em: EntityManager,
  ) {}

  /** A context whose EntityManager is this transaction's: services called with it join the transaction. */
  context(): RequestContext {
    return new RequestContext(this.ctx.app, this.em, this.ctx.principal, this.ctx.requestId, this.ctx.workspaceId, this.ctx.clientIp);
  }

  /**
   * Writes the event to the log with the change: subscribers on every instance, the modules' reactions and the
   * partners' webhooks hear of it if, and only if, the transaction commits.
   */
  emit<Refs extends EventRefs>(event: EventType<Refs>, subjectId: string, ...[refs]: RefsArgument<Refs>): void {
    const principal = this.ctx.principal;
    this.events.push({
      topic: event.topic,
      workspaceId: this.ctx.workspaceId,
      subjectId,
      refs: (refs ?? {}) as EventRefs,
      actorKind: principal?.kind ?? 'SYSTEM',
      actorId: !principal ? null : principal.kind === 'GUEST' ? principal.guest.id : principal.userId,
    });
  }

  /**
   * Queues a background job that runs after, and only if, the transaction commits. The job is named by its
   * definition, or by an object carrying its name (a module that would otherwise import its handler's file in a circle).
   */
  enqueue<Data extends object>(job: Pick<JobDefinition<Data>, 'name'>, data: Data, options: JobSendOptions = {}): void {
    this.jobs.push({ name: job.name, data, options });
  }

  /**
   * Runs `callback` on this instance once the transaction has committed (never if it does not): for in-memory state
   * of this instance that must not wait for the event log, such as cached principals. Other instances learn of the
   * change from the event it emitted. In a nested ctx.transaction it runs when the nested one ends, a little early
   * (the event log, read on this instance too, follows within milliseconds); callbacks must be safe to run early.
   */
  afterCommit(callback: () => void): void {
    this.committedCallbacks.push(callback);
  }

  /** Called by ctx.transaction after the commit. */
  committed(): void {
    for (const callback of this.committedCallbacks) callback();
  }

  /** Whether finish has events or jobs to write. */
  hasPendingWrites(): boolean {
    return this.events.length > 0 || this.jobs.length > 0;
  }

  /**
   * Called by ctx.transaction once `work` is done and flushed: writes the events to the log and the jobs to the
   * queue (one statement for all of them), a reaction job for each event and each module that reacts to it, all inside
   * the transaction.
   */
  async finish(): Promise<void> {
    const { jobs: queue, registry } = this.ctx.app;
    const written = this.events.length ? await appendEvents(this.em, this.events) : [];
    await queue.sendInTransaction(this.em, this.jobs, written.flatMap((event) => registry.reactionsTo(event).map((reaction) => ({ reaction, event }))));
  }

  /** Records who changed what; the audit stream subscription hears of it after commit. */
  audit(record: AuditRecord): AuditEntry {
    const principal = this.ctx.principal;
    const actor = !principal
      ? { actorKind: ActorKind.SYSTEM }
      : principal.kind === 'GUEST'
        ? { actorKind: ActorKind.GUEST, actorGuestType: principal.guest.type, actorGuestId: principal.guest.id }
        : { actorKind: principal.kind as ActorKind, actorUserId: principal.userId, actorApiKeyId: principal.apiKeyId };
    const entry = this.em.create(AuditEntry, {
      ...record,
      workspace: this.ctx.workspaceId,
      ...actor,
      requestId: this.ctx.requestId,
    });
    this.emit(AUDIT_ENTRY_ADDED, entry.id);
    return entry;
  }
}
