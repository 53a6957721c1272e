import { map, pipe } from '@graphql-yoga/subscription';
import type { PubSub, SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../context';
import type { DomainEvent } from '../kernel/events';

/**
 * The `subscribe` of a subscription field: the topic's events of the caller's workspace, from whichever instance
 * committed them. The field's @Authorized is checked by type-graphql when the subscription starts. A subscription
 * keeps one context for its life, so each event starts with its cached reads forgotten: it is resolved as fresh
 * as a new request would be.
 */
export function workspaceEvents(topic: string) {
  return ({ context }: SubscribeResolverData<any, any, any>): AsyncIterable<DomainEvent> => {
    const ctx = context as RequestContext;
    return pipe(
      ctx.app.events.subscribe(topic, ctx.workspaceId),
      map((event: DomainEvent) => {
        ctx.forgetReads();
        return event;
      }),
    );
  };
}

/**
 * type-graphql insists on a pubSub when a schema has subscriptions, but ours take their events from the request
 * context's EventBus (one per server instance), never from this global.
 */
export const unusedGlobalPubSub: PubSub = {
  publish() {
    throw new Error('publish domain events with tx.emit inside ctx.transaction');
  },
  subscribe() {
    throw new Error('subscription fields use `subscribe: workspaceEvents(topic)`');
  },
};
