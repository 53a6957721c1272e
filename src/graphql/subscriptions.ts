import { map, pipe } from '@graphql-yoga/subscription';
import type { EntityClass, EntityDictionary, FilterQuery } from '@mikro-orm/core';
import { ArgsType, Field, InterfaceType, type PubSub, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../context';
import type { WorkspaceScopedEntity } from '../db/base-entity';
import { isPosition } from '../kernel/event-log';
import type { DomainEvent, EventRefs, EventType } from '../kernel/events';
import type { Signal, SignalType } from '../kernel/signals';
import { AppError } from './errors';

/** The arguments of every subscription field: where to resume. */
@ArgsType()
export class SubscriptionArgs {
  @Field(() => String, {
    nullable: true,
    description:
      'Resume: the `position` of the last event you received. You first get every event you missed since then (events are kept EVENT_RETENTION_DAYS, 7 by default; older: EVENTS_EXPIRED), then live ones',
  })
  after?: string | null;
}

/**
 * What every subscription sends per event: its position, to resume from, and the record (the subclass adds it):
 *   @ObjectType({ implements: LiveEvent, ... }) class AuditEntryEvent extends LiveEvent { @Field(() => AuditEntry) entry!: AuditEntry }
 */
@InterfaceType({ description: 'One event of a subscription: where it stands in the event log, what happened, and (in each type) the record' })
export abstract class LiveEvent {
  @Field({ description: "The event's position in the event log: pass it as `after` when you subscribe again to miss nothing" })
  position!: string;

  @Field({ description: 'What happened, e.g. customers.customerMerged' })
  topic!: string;
}

/**
 * What a filtered subscription field receives: the events whose subject or refs equal these values, e.g.
 * `{ conversationId }` for `messageAdded(conversationId)`. Computed once when the subscription starts, from its
 * arguments and its context (`{ agentId: <the caller's user id> }` for "my assignments"); a field set to undefined
 * (an optional argument not given) does not filter. Throw an AppError for an argument that is no id.
 */
export type MatchOf<Refs extends EventRefs> = { [K in keyof Refs | 'subjectId']?: string | undefined };

export interface WorkspaceEventsOptions<Refs extends EventRefs, Args> {
  /**
   * Only the events this subscriber asks for, or (a list) those that meet any of several matches, each event once;
   * may be async (e.g. to check once that the caller may read the record).
   */
  match?: (args: Args, ctx: RequestContext) => MatchOf<Refs> | MatchOf<Refs>[] | Promise<MatchOf<Refs> | MatchOf<Refs>[]>;
}

/**
 * The `subscribe` of a subscription field: the caller's workspace's events of the given types (optionally only those
 * `match` asks for), read from the event log as they commit on any instance; with `after`, first the ones missed
 * since that position (filtered alike). The field's @Authorized is checked by type-graphql when the subscription
 * starts. A subscription keeps one context for its life, so each event starts with its cached reads forgotten: it is
 * resolved as fresh as a new request would be.
 *
 * The match is what makes many subscriptions cheap: an instance finds an event's subscribers with a map lookup by
 * the matched values (see MatchIndex), so an event reaches only its own subscribers' GraphQL execution:
 *
 *   @Subscription(() => MessageEvent, { subscribe: workspaceEvents(MESSAGE_ADDED, {
 *     match: (args: MessageAddedArgs) => ({ conversationId: conversationIdOf(args.conversationId) }) }) })
 */
export function workspaceEvents<Refs extends EventRefs, Args extends SubscriptionArgs = SubscriptionArgs>(
  types: EventType<Refs> | EventType<Refs>[],
  options: WorkspaceEventsOptions<Refs, Args> = {},
) {
  const topics = (Array.isArray(types) ? types : [types]).map((type) => type.topic);
  return async ({ context, args }: SubscribeResolverData<any, Args, any>): Promise<AsyncIterable<DomainEvent>> => {
    const ctx = context as RequestContext;
    if (args.after != null && !isPosition(args.after)) {
      throw new AppError('BAD_USER_INPUT', '`after` must be the `position` of an event you received', { field: 'after' });
    }
    const match = options.match ? await options.match(args, ctx) : {};
    return pipe(
      ctx.app.events.subscribe({ workspaceId: ctx.workspaceId, topics, match, after: args.after }),
      map((event: DomainEvent) => {
        ctx.forgetReads();
        return event;
      }),
    );
  };
}

/**
 * The record an event is about (its subject, or the record of one of its refs), read once per event and instance
 * however many of this instance's subscriptions receive the event (EventLog.readOnce): the row is shared, and each
 * subscriber gets its own entity in its own EntityManager, so the read rules and field resolvers still run per
 * subscriber with its rights. Null when the record is gone.
 */
export async function eventRecord<T extends WorkspaceScopedEntity<any>>(ctx: RequestContext, event: DomainEvent, entity: EntityClass<T>, id: string = event.subjectId): Promise<T | null> {
  // A query builder applies no filter by itself: the read names the event's workspace (the workspace filter is the
  // only default filter), and nothing of the first reader's rights goes into the shared row.
  const row = await ctx.app.events.readOnce(event, `${entity.name}:${id}`, () =>
    ctx.em.createQueryBuilder(entity).select('*').where({ id, workspace: event.workspaceId } as FilterQuery<T>).execute<EntityDictionary<T> | null>('get', false),
  );
  // A copy: mapping must not change the row the other subscribers map too.
  return row ? ctx.em.map(entity, { ...row }) : null;
}

export interface WorkspaceSignalsOptions<Args> {
  /** The one key this subscriber follows (e.g. the conversation's id); all of the topic when it gives undefined. */
  key?: (args: Args, ctx: RequestContext) => string | undefined | Promise<string | undefined>;
}

/**
 * The `subscribe` of a subscription field for ephemeral signals (typing, presence; see src/kernel/signals.ts): the
 * caller's workspace's signals of one type, as they are sent from now on, on any instance. No `after`: signals are
 * not stored, so what was sent before the subscription started, or while its connection was away, is gone.
 */
export function workspaceSignals<Payload extends object, Args = Record<string, unknown>>(type: SignalType<Payload>, options: WorkspaceSignalsOptions<Args> = {}) {
  return async ({ context, args }: SubscribeResolverData<any, Args, any>): Promise<AsyncIterable<Signal<Payload>>> => {
    const ctx = context as RequestContext;
    const key = options.key ? await options.key(args, ctx) : undefined;
    return ctx.app.signals.subscribe<Payload>({ workspaceId: ctx.workspaceId, topic: type.topic, key });
  };
}

/**
 * type-graphql insists on a pubSub when a schema has subscriptions, but ours read the event log through the request
 * context (src/kernel/event-log.ts), never this global.
 */
export const unusedGlobalPubSub: PubSub = {
  publish() {
    throw new Error('emit domain events with tx.emit inside ctx.transaction');
  },
  subscribe() {
    throw new Error('subscription fields use `subscribe: workspaceEvents(EVENT)`');
  },
};
