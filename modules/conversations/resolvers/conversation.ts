import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Customer, customerById } from '../../customers';
import { Channel } from '../entities/channel';
import { Assignment, AssignmentCandidate, Conversation } from '../entities/conversation';
import { ServiceGroup } from '../entities/service-group';
import { ConversationEscalateInput, ConversationIdInput, ConversationStartInput, ConversationTransferInput } from '../graphql/inputs';
import { ConversationPayload, ConversationStartPayload } from '../graphql/types';
import { channelById, conversationById, estimatedWaitOf, groupById, latestAssignmentOf, queuePositionOf } from '../loaders/conversation';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { requestHuman } from '../services/bot';
import { startConversation } from '../services/intake';
import { closeConversation, escalateConversation, reopenConversation, transferConversation } from '../services/lifecycle';

const WRITE = CONVERSATIONS_PERMISSIONS.write;

@Resolver(() => Conversation)
export class ConversationResolver {
  // No @Authorized: the chat widget calls it anonymously with the channel's widget key (checked in the service).
  @Mutation(() => ConversationStartPayload, {
    description: "A visitor starts a conversation: a channel connector (conversations:write), the chat widget (the channel's widgetKey, no sign-in) or a returning visitor (their visitor token). Routes it to a group and assigns it or queues it",
  })
  conversationStart(@Arg('input', { description: 'The channel, the visitor, where they came from and their message' }) input: ConversationStartInput, @Ctx() ctx: RequestContext): Promise<ConversationStartPayload> {
    return mutationPayload(ConversationStartPayload, () => startConversation(ctx, input));
  }

  @Authorized()
  @Mutation(() => ConversationPayload, { description: "Close a conversation (staff with conversations:write, or its visitor); the agent's freed slot serves the queue at once" })
  conversationClose(@Arg('input', { description: 'The conversation' }) input: ConversationIdInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await closeConversation(ctx, input.id) }));
  }

  @Authorized()
  @Mutation(() => ConversationPayload, { description: 'Ask for a human (the widget\'s 转人工, or staff): a BOT conversation joins the queue now; others are left as they are' })
  conversationHandOver(@Arg('input', { description: 'The conversation' }) input: ConversationIdInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await requestHuman(ctx, input.id) }));
  }

  @Authorized(WRITE)
  @Mutation(() => ConversationPayload, { description: 'Reopen a closed conversation: back to its group, assigned or queued' })
  conversationReopen(@Arg('input', { description: 'The conversation' }) input: ConversationIdInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await reopenConversation(ctx, input.id) }));
  }

  @Authorized(WRITE)
  @Mutation(() => ConversationPayload, { description: 'Transfer a conversation to an online agent with room, or to a group' })
  conversationTransfer(@Arg('input', { description: 'The conversation and where it goes' }) input: ConversationTransferInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await transferConversation(ctx, input) }));
  }

  @Authorized(WRITE)
  @Mutation(() => ConversationPayload, { description: 'Escalate a conversation to a manager (flagged; the agent keeps it)' })
  conversationEscalate(@Arg('input', { description: 'The conversation and why' }) input: ConversationEscalateInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await escalateConversation(ctx, input.id, input.reason) }));
  }

  @Authorized()
  @Query(() => Conversation, { nullable: true, description: 'A conversation by id (staff with conversations:read, or its visitor); null when unknown' })
  conversation(@Arg('id', () => ID, { description: 'The conversation' }) id: string, @Ctx() ctx: RequestContext): Promise<Conversation | null> | null {
    const uuid = tryFromGlobalId(id, 'Conversation');
    return uuid ? conversationById(ctx).load(uuid) : null;
  }

  @FieldResolver(() => Channel, { description: 'The channel' })
  async channel(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<Channel> {
    return (await channelById(ctx).load(conversation.channel.id))!;
  }

  @FieldResolver(() => Customer, { nullable: true, description: 'The customer (needs customers:read)' })
  customer(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<Customer | null> {
    return customerById(ctx).load(conversation.customer.id);
  }

  @FieldResolver(() => ServiceGroup, { nullable: true, description: 'The service group it was routed to' })
  group(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<ServiceGroup | null> | null {
    return conversation.group ? groupById(ctx).load(conversation.group.id) : null;
  }

  @FieldResolver(() => User, { nullable: true, description: 'The agent serving it now; null when queued, with the bot, or closed' })
  assignee(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return conversation.assignee ? userById(ctx).load(conversation.assignee.id) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: "The serving agent's display name, for the visitor's widget (visitors cannot read users)" })
  async assigneeName(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<string | null> {
    return conversation.assignee ? ((await userById(ctx).load(conversation.assignee.id))?.displayName ?? null) : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: "Place in its group's queue while QUEUED (1 = next); null otherwise" })
  queuePosition(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<number | null> | null {
    return conversation.status === 'QUEUED' ? queuePositionOf(ctx).load(conversation.id) : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: "While QUEUED, the estimated wait in seconds until an agent takes it, from the group's recent handling times and its online agents' capacity; null otherwise, or when there is nothing to estimate from" })
  estimatedWaitSeconds(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<number | null> | null {
    return conversation.status === 'QUEUED' ? estimatedWaitOf(ctx).load(conversation.id) : null;
  }

  @FieldResolver(() => Assignment, { nullable: true, description: 'The latest assignment: which rule chose the agent and why (conversations:manage)' })
  assignment(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<Assignment | null> {
    return latestAssignmentOf(ctx).load(conversation.id);
  }
}

@Resolver(() => Assignment)
export class AssignmentResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The agent' })
  agent(@Root() assignment: Assignment, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(assignment.agent.id);
  }

  @FieldResolver(() => ServiceGroup, { nullable: true, description: 'The group it was assigned in; null for a transfer to an agent outside any group' })
  group(@Root() assignment: Assignment, @Ctx() ctx: RequestContext): Promise<ServiceGroup | null> | null {
    return assignment.group ? groupById(ctx).load(assignment.group.id) : null;
  }
}

@Resolver(() => AssignmentCandidate)
export class AssignmentCandidateResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The agent' })
  agent(@Root() candidate: AssignmentCandidate, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(candidate.agentId);
  }
}
