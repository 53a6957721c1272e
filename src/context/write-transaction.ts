import type { EntityManager } from '@mikro-orm/postgresql';
import { ActorKind, AuditEntry } from '../audit/entities';
import { AUDIT_ENTRY_ADDED } from '../audit/permissions';
import type { DomainEvent } from '../kernel/events';
import { RequestContext } from './request-context';

/** What an audit entry records about a change. */
export interface AuditRecord {
  action: string;
  subjectType: string;
  subjectId: string;
  changes?: Record<string, unknown>;
}

/** Inside `ctx.transaction`: the transaction's EntityManager, plus events and audit entries that commit with it. */
export class WriteTransaction {
  readonly events: DomainEvent[] = [];

  constructor(
    readonly ctx: RequestContext,
    readonly em: EntityManager,
  ) {}

  /** A context whose EntityManager is this transaction's: services called with it join the transaction. */
  context(): RequestContext {
    return new RequestContext(this.ctx.app, this.em, this.ctx.principal, this.ctx.requestId, this.ctx.workspaceId, this.ctx.clientIp);
  }

  /** Publishes an event to every instance if, and only if, the transaction commits. */
  emit(topic: string, subjectId: string, refs?: Record<string, string>): void {
    this.events.push({ topic, workspaceId: this.ctx.workspaceId, subjectId, refs });
  }

  /** Records who changed what; the audit stream subscription hears of it after commit. */
  audit(record: AuditRecord): AuditEntry {
    const principal = this.ctx.principal;
    const entry = this.em.create(AuditEntry, {
      ...record,
      workspace: this.ctx.workspaceId,
      actorKind: principal ? (principal.kind as ActorKind) : ActorKind.SYSTEM,
      actorUserId: principal?.userId,
      actorApiKeyId: principal?.apiKeyId,
      requestId: this.ctx.requestId,
    } as any);
    this.emit(AUDIT_ENTRY_ADDED, entry.id);
    return entry;
  }
}
