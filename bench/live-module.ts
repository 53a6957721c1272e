import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Mutation, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import { Customer, CUSTOMER_EVENTS, CUSTOMER_PERMISSIONS } from '../modules/customers';
import type { RequestContext } from '../src/context';
import { AppError } from '../src/graphql/errors';
import { tryFromGlobalId } from '../src/graphql/global-id';
import { eventRecord, LiveEvent, SubscriptionArgs, workspaceEvents, workspaceSignals } from '../src/graphql/subscriptions';
import type { DomainEvent } from '../src/kernel/events';
import { defineModule } from '../src/kernel/module';
import { defineSignal, type Signal } from '../src/kernel/signals';

/*
 * "liveProbe": a module of the live-updates tests (test/live.test.ts), not of the product. It has the shapes the
 * conversations module needs, on an event of the customers module: a subscription filtered by a ref
 * (`customerFollowedUp(customerId)` over `customers.followUpCreated`, refs { customerId }, as
 * `messageAdded(conversationId)` over `conversations.messageAdded`), and typing signals, so that the kernel's matching
 * is tested apart from the conversations module. bench/live.ts measured it until the conversations module had its own
 * fields; it now measures those.
 */

export const PROBE_TYPING = defineSignal<{ typing: boolean }>('liveProbe.typing');

@ObjectType({ implements: LiveEvent, description: 'A follow-up was recorded for the customer (liveProbe)' })
class CustomerFollowUpEvent extends LiveEvent {
  @Field(() => ID, { description: 'The new follow-up (its uuid)' })
  followUpId!: string;

  @Field(() => Customer, { nullable: true, description: 'The customer, read when the event is sent (null once merged into another or gone)' })
  customer!: Customer | null;
}

@ObjectType({ description: 'Someone is typing, or stopped (liveProbe)' })
class ProbeTypingSignal {
  @Field({ description: 'What the typing is about' })
  key!: string;

  @Field({ description: 'Whether typing started (true) or stopped (false)' })
  typing!: boolean;

  @Field({ description: 'When the sender sent it' })
  sentAt!: Date;
}

@ArgsType()
class CustomerFollowedUpArgs extends SubscriptionArgs {
  @Field(() => ID, { description: 'The customer whose follow-ups to follow' })
  customerId!: string;
}

@ArgsType()
class ProbeTypingArgs {
  @Field(() => String, { nullable: true, description: 'Only signals about this key; all when not given' })
  key?: string | null;
}

@Resolver()
class LiveProbeResolver {
  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Subscription(() => CustomerFollowUpEvent, {
    description: "Follow-ups of one customer as they commit, on any instance (liveProbe)",
    subscribe: workspaceEvents(CUSTOMER_EVENTS.followUpCreated, {
      match: (args: CustomerFollowedUpArgs) => {
        const customerId = tryFromGlobalId(args.customerId, 'Customer');
        if (!customerId) throw new AppError('BAD_USER_INPUT', '`customerId` is not the id of a customer', { field: 'customerId' });
        return { customerId };
      },
    }),
  })
  async customerFollowedUp(@Root() event: DomainEvent<{ customerId: string }>, @Args() _args: CustomerFollowedUpArgs, @Ctx() ctx: RequestContext): Promise<CustomerFollowUpEvent> {
    return { position: event.position, topic: event.topic, followUpId: event.subjectId, customer: await eventRecord(ctx, event, Customer, event.refs.customerId) };
  }

  @Authorized()
  @Subscription(() => ProbeTypingSignal, {
    description: 'Typing signals of the workspace, on any instance (liveProbe)',
    subscribe: workspaceSignals(PROBE_TYPING, { key: (args: ProbeTypingArgs) => args.key ?? undefined }),
  })
  probeTyping(@Root() signal: Signal<{ typing: boolean }>, @Args() _args: ProbeTypingArgs): ProbeTypingSignal {
    return { key: signal.key, typing: signal.payload.typing, sentAt: signal.sentAt };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Sends a typing signal to the workspace (liveProbe)' })
  async probeTypingSend(@Arg('key', { description: 'What the typing is about' }) key: string, @Arg('typing', { description: 'Started or stopped' }) typing: boolean, @Ctx() ctx: RequestContext): Promise<boolean> {
    await ctx.app.signals.publish(ctx.workspaceId, PROBE_TYPING, key, { typing });
    return true;
  }
}

export const liveProbeModule = defineModule({
  name: 'liveProbe',
  entities: [],
  resolvers: [LiveProbeResolver],
  permissions: [],
  openTypes: ['CustomerFollowUpEvent', 'ProbeTypingSignal'],
});
