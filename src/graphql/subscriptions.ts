import { map, pipe } from '@graphql-yoga/subscription';
import { ArgsType, Field, InterfaceType, type PubSub, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../context';
import { isPosition } from '../kernel/event-log';
import type { DomainEvent, EventType } from '../kernel/events';
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
 * The `subscribe` of a subscription field: the caller's workspace's events of the given types, read from the event
 * log as they commit on any instance; with `after`, first the ones missed since that position. The field's
 * @Authorized is checked by type-graphql when the subscription starts. A subscription keeps one context for its
 * life, so each event starts with its cached reads forgotten: it is resolved as fresh as a new request would be.
 */
export function workspaceEvents(...types: EventType<any>[]) {
  return ({ context, args }: SubscribeResolverData<any, SubscriptionArgs, any>): AsyncIterable<DomainEvent> => {
    const ctx = context as RequestContext;
    if (args.after != null && !isPosition(args.after)) {
      throw new AppError('BAD_USER_INPUT', '`after` must be the `position` of an event you received', { field: 'after' });
    }
    return pipe(
      ctx.app.events.subscribe({ workspaceId: ctx.workspaceId, topics: types.map((t) => t.topic), after: args.after }),
      map((event: DomainEvent) => {
        ctx.forgetReads();
        return event;
      }),
    );
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
