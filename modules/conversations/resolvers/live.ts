import { filter, pipe } from '@graphql-yoga/subscription';
import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Mutation, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { AppError } from '../../../src/graphql/errors';
import { toGlobalId } from '../../../src/graphql/global-id';
import { eventRecord, SubscriptionArgs, workspaceEvents, workspaceSignals } from '../../../src/graphql/subscriptions';
import { mutationPayload } from '../../../src/graphql/user-errors';
import type { DomainEvent } from '../../../src/kernel/events';
import type { Signal } from '../../../src/kernel/signals';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import { ConversationEvent, MessageEvent, QueueEvent, TypingSignal } from '../graphql/live-types';
import { TypingSetInput } from '../graphql/message-inputs';
import { ConversationPayload } from '../graphql/types';
import { conversationById } from '../loaders/conversation';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { CONVERSATION_SIGNALS } from '../signals';
import { followableConversation, followableGroup, queueSummaryAt, setTyping } from '../services/live';

/*
 * Live updates (issue 9, point 14), from the durable event log on any instance; every field resumes with `after`.
 * Each declares a `match` (src/graphql/subscriptions.ts) so that an event reaches only its own subscribers'
 * execution, and checks once, when it starts, that the caller may follow what it names.
 */

const E = CONVERSATION_EVENTS;
/** Every event whose subject is the conversation (messageAdded's subject is the message: see messageAdded). */
const CONVERSATION_TOPICS = [E.started, E.queued, E.assigned, E.handedOver, E.closed, E.reopened, E.escalated, E.rated, E.read];

@ArgsType()
class ConversationArgs extends SubscriptionArgs {
  @Field(() => ID, { description: 'The conversation (a visitor: their own)' })
  conversationId!: string;
}

@ArgsType()
class ConversationUpdatedArgs extends SubscriptionArgs {
  @Field(() => ID, { description: 'The conversation (a visitor: their own)' })
  id!: string;
}

@ArgsType()
class QueueUpdatedArgs extends SubscriptionArgs {
  @Field(() => ID, { description: 'The service group' })
  groupId!: string;
}

@ArgsType()
class TypingChangedArgs {
  @Field(() => ID, { description: 'The conversation (a visitor: their own)' })
  conversationId!: string;
}

type Subscribe<Args> = (data: SubscribeResolverData<any, Args, any>) => Promise<AsyncIterable<DomainEvent>>;

/**
 * Drops, before execution, the events of a subscription that `keep` refuses for this subscriber: what the match
 * index cannot say (it matches equal values only), such as "no internal notes for a visitor". A function call per
 * event and subscriber, never a query or a GraphQL execution.
 */
function keepOnly<Args>(subscribe: Subscribe<Args>, keep: (event: DomainEvent, ctx: RequestContext) => boolean): Subscribe<Args> {
  return async (data) => {
    const ctx = data.context as RequestContext;
    return pipe(await subscribe(data), filter((event: DomainEvent) => keep(event, ctx)));
  };
}

@Resolver()
export class ConversationLiveResolver {
  // @Authorized(): staff (conversations:read) and the conversation's visitor (guest token), checked in the match.
  @Authorized()
  @Subscription(() => MessageEvent, {
    description: "Messages of one conversation as they commit, on any instance (staff with conversations:read, or its visitor: never internal notes). Resume with `after`",
    subscribe: keepOnly(
      workspaceEvents(E.messageAdded, { match: async (args: ConversationArgs, ctx) => ({ conversationId: await followableConversation(ctx, args.conversationId) }) }),
      (event, ctx) => !(ctx.guest && event.refs.internal),
    ),
  })
  async messageAdded(@Root() event: DomainEvent<{ conversationId: string }>, @Args() _args: ConversationArgs, @Ctx() ctx: RequestContext): Promise<MessageEvent> {
    // The visitor's read rule looks at the message's conversation: have it in this request's identity map.
    if (ctx.guest) await conversationById(ctx).load(event.refs.conversationId);
    return { position: event.position, topic: event.topic, message: await eventRecord(ctx, event, Message) };
  }

  @Authorized()
  @Subscription(() => ConversationEvent, {
    description: 'Every change of one conversation (started, queued, assigned, handed over, closed, reopened, escalated, rated, read), on any instance (staff with conversations:read, or its visitor). Resume with `after`',
    subscribe: workspaceEvents(CONVERSATION_TOPICS, { match: async (args: ConversationUpdatedArgs, ctx) => ({ subjectId: await followableConversation(ctx, args.id) }) }),
  })
  async conversationUpdated(@Root() event: DomainEvent, @Args() _args: ConversationUpdatedArgs, @Ctx() ctx: RequestContext): Promise<ConversationEvent> {
    return { position: event.position, topic: event.topic, conversation: await eventRecord(ctx, event, Conversation) };
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Subscription(() => QueueEvent, {
    description: "A service group's queue as it changes (a conversation queued, assigned or closed in the group, or moved from it to another group), with its length and longest wait, on any instance. Resume with `after`",
    subscribe: workspaceEvents<{ groupId?: string; previousGroupId?: string }, QueueUpdatedArgs>([E.queued, E.assigned, E.closed], {
      match: async (args: QueueUpdatedArgs, ctx) => {
        const groupId = await followableGroup(ctx, args.groupId);
        return [{ groupId }, { previousGroupId: groupId }];
      },
    }),
  })
  async queueUpdated(@Root() event: DomainEvent, @Args() args: QueueUpdatedArgs, @Ctx() ctx: RequestContext): Promise<QueueEvent> {
    // The summary of the group this subscriber follows (the event may be about the group a conversation moved to).
    const groupId = tryFromGlobalId(args.groupId, 'ServiceGroup')!;
    const [conversation, summary] = await Promise.all([eventRecord(ctx, event, Conversation), queueSummaryAt(ctx, event, groupId)]);
    const longestWaitSeconds = summary.oldestQueuedAt ? Math.max(0, Math.round((Date.now() - summary.oldestQueuedAt.getTime()) / 1000)) : null;
    return { position: event.position, topic: event.topic, conversation, queue: { ...summary, longestWaitSeconds } };
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Subscription(() => ConversationEvent, {
    description: "The caller's own list changing: a conversation assigned to them, or leaving them (closed, or transferred away to an agent or back to a queue: its assignee is then someone else or nobody). Resume with `after`",
    subscribe: workspaceEvents<{ agentId?: string; previousAgentId?: string }>([E.assigned, E.queued, E.closed], {
      match: (_args: SubscriptionArgs, ctx) => [{ agentId: ctx.caller.userId }, { previousAgentId: ctx.caller.userId }],
    }),
  })
  async myAssignments(@Root() event: DomainEvent, @Args() _args: SubscriptionArgs, @Ctx() ctx: RequestContext): Promise<ConversationEvent> {
    return { position: event.position, topic: event.topic, conversation: await eventRecord(ctx, event, Conversation) };
  }

  @Authorized()
  @Subscription(() => ConversationEvent, {
    description: "For the widget (a visitor's token): conversations started for this visitor, such as an agent's invitation. Resume with `after`",
    subscribe: workspaceEvents(E.started, { match: (_args: SubscriptionArgs, ctx) => ({ visitorId: visitorIdOfGuest(ctx) }) }),
  })
  async visitorConversations(@Root() event: DomainEvent, @Args() _args: SubscriptionArgs, @Ctx() ctx: RequestContext): Promise<ConversationEvent> {
    return { position: event.position, topic: event.topic, conversation: await eventRecord(ctx, event, Conversation) };
  }

  @Authorized()
  @Subscription(() => TypingSignal, {
    description: 'Typing in one conversation, as the visitor or an agent starts or stops (staff with conversations:read, or its visitor). Ephemeral: no `after`, nothing from before the subscription',
    subscribe: workspaceSignals(CONVERSATION_SIGNALS.typing, { key: (args: TypingChangedArgs, ctx) => followableConversation(ctx, args.conversationId) }),
  })
  typingChanged(@Root() signal: Signal<{ typing: boolean; authorKind: string; name?: string }>, @Args() _args: TypingChangedArgs): TypingSignal {
    return {
      conversationId: toGlobalId('Conversation', signal.key), typing: signal.payload.typing,
      authorKind: signal.payload.authorKind as AuthorKind, authorName: signal.payload.name ?? null, sentAt: signal.sentAt,
    };
  }

  @Authorized()
  @Mutation(() => ConversationPayload, { description: 'Tell the conversation that the caller (its visitor, or an agent with conversations:write) started or stopped typing; send it again every few seconds while typing. Not stored' })
  typingSet(@Arg('input', { description: 'The conversation, and whether typing' }) input: TypingSetInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await setTyping(ctx, input) }));
  }
}

/** visitorConversations is the widget's: a visitor's token only (staff follow conversations otherwise). */
function visitorIdOfGuest(ctx: RequestContext): string {
  if (ctx.guest?.guest.type !== 'Visitor') throw new AppError('FORBIDDEN', "visitorConversations is the widget's: subscribe with a visitor token");
  return ctx.guest.guest.id;
}
