import { Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { JSONObjectResolver } from 'graphql-scalars';
import type { RequestContext } from '../context';
import { Connection, defineSort, paginate, SortDirection } from '../graphql/connection';
import { AppError } from '../graphql/errors';
import { parseGlobalId, toGlobalId } from '../graphql/global-id';
import { eventRecord, LiveEvent, SubscriptionArgs, workspaceEvents } from '../graphql/subscriptions';
import { User } from '../auth/entities';
import { userById } from '../auth/loaders';
import type { DomainEvent } from '../kernel/events';
import { AuditEntry } from './entities';
import { AUDIT_ENTRY_ADDED } from './events';
import { AUDIT_READ } from './permissions';

const AuditEntryConnection = Connection(AuditEntry);

const AUDIT_ENTRY_SORT = defineSort('AuditEntry', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When the change was made' },
}, 'CREATED_AT');

@ArgsType()
class AuditLogArgs extends AUDIT_ENTRY_SORT.Args {
  @Field(() => ID, { nullable: true, description: 'Only entries about this record (its global id)' })
  @IsOptional()
  subjectId?: string;

  @Field({ nullable: true, description: 'Only entries with this action, e.g. platform.apiKey.revoke' })
  @IsOptional()
  action?: string;
}

@ObjectType({ implements: LiveEvent, description: 'An audit entry as it was written (auditEntryAdded)' })
export class AuditEntryEvent extends LiveEvent {
  @Field(() => AuditEntry, { description: 'The entry' })
  entry!: AuditEntry;
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Authorized(AUDIT_READ)
  @Query(() => AuditEntryConnection, { description: 'Who did what, newest first unless sorted otherwise (OWNER, MANAGER, keys with audit:read)' })
  auditLog(@Args() args: AuditLogArgs, @Ctx() ctx: RequestContext) {
    const where: Record<string, unknown> = {};
    if (args.action) where.action = args.action;
    if (args.subjectId) {
      const subject = parseGlobalId(args.subjectId);
      if (!subject) return paginate(ctx.em, AuditEntry, { id: null as unknown as string }, args, AUDIT_ENTRY_SORT.sortKey(args.sort));
      Object.assign(where, { subjectType: subject.typeName, subjectId: subject.id });
    }
    return paginate(ctx.em, AuditEntry, where, args, AUDIT_ENTRY_SORT.sortKey(args.sort));
  }

  @Authorized(AUDIT_READ)
  @Subscription(() => AuditEntryEvent, {
    description: 'Audit entries as their changes commit, on any server instance; pass `after` to resume without a gap',
    subscribe: workspaceEvents(AUDIT_ENTRY_ADDED),
  })
  async auditEntryAdded(@Root() event: DomainEvent, @Args() _args: SubscriptionArgs, @Ctx() ctx: RequestContext): Promise<AuditEntryEvent> {
    // Events carry ids: the entry is read afresh, once per event for all of this instance's subscribers (every
    // OWNER and MANAGER watching gets the same event); each maps the row into its own EntityManager.
    const entry = await eventRecord(ctx, event, AuditEntry);
    if (!entry) throw new AppError('NOT_FOUND', `Audit entry ${event.subjectId} of event ${event.position} is gone`);
    return { position: event.position, topic: event.topic, entry };
  }

  @FieldResolver(() => ID, { description: 'Global id of the changed record' })
  subjectId(@Root() entry: AuditEntry): string {
    return toGlobalId(entry.subjectType, entry.subjectId);
  }

  /**
   * What changed is data of the changed record (a new user's email, a customer's tags), so it needs the read
   * permission of that record's type as well as audit:read; the entry itself (who, what, when) needs only audit:read.
   */
  @FieldResolver(() => JSONObjectResolver, {
    nullable: true,
    description: "Changed fields with their new values (secrets never included); needs the read permission of the changed record's type, e.g. users:read for a User",
  })
  changes(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Record<string, unknown> | null {
    const permission = ctx.app.registry.readRules.get(entry.subjectType)?.permission ?? AUDIT_READ;
    if (!ctx.reader?.permissions.has(permission)) throw AppError.forbidden([permission]);
    return entry.changes ?? null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'The user who made the change (for an API key: its creator)' })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return entry.actorUserId ? userById(ctx).load(entry.actorUserId) : null;
  }

  @FieldResolver(() => ID, { nullable: true, description: 'Global id of the API key used, if any' })
  apiKeyId(@Root() entry: AuditEntry): string | null {
    return entry.actorApiKeyId ? toGlobalId('ApiKey', entry.actorApiKeyId) : null;
  }

  @FieldResolver(() => ID, { nullable: true, description: 'For a change made by a guest (actorKind GUEST): global id of the record its token names, e.g. a Visitor' })
  guestId(@Root() entry: AuditEntry): string | null {
    return entry.actorGuestType && entry.actorGuestId ? toGlobalId(entry.actorGuestType, entry.actorGuestId) : null;
  }
}
