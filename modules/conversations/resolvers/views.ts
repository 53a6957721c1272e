import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { Channel } from '../entities/channel';
import { Conversation, Message } from '../entities/conversation';
import { ServiceGroup } from '../entities/service-group';
import {
  AgentWorkload, AgentWorkloadArgs, ConversationsArgs, GroupQueue, QueueWaitingArgs, VisitorCount, VisitorCountsArgs,
} from '../graphql/views';
import { channelById, conversationById, groupById } from '../loaders/conversation';
import { lastMessageOf } from '../loaders/views';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { agentWorkload, groupQueue, groupQueues, searchConversations, visitorCounts, waitingInGroup } from '../services/views';

const ConversationConnection = Connection(Conversation);
const READ = CONVERSATIONS_PERMISSIONS.read;

/** Manager views 管理视图: the queue now, agents' workload, conversation records by condition, visitor counts. */
@Resolver()
export class ManagerViewsResolver {
  @Authorized(READ)
  @Query(() => [GroupQueue], { description: 'Every service group\'s queue now (length, longest wait, who is next), by group name' })
  queues(@Ctx() ctx: RequestContext): Promise<GroupQueue[]> {
    return groupQueues(ctx);
  }

  @Authorized(READ)
  @Query(() => GroupQueue, { nullable: true, description: "A service group's queue now; null when no such group is in your workspace" })
  queue(@Arg('groupId', () => ID, { description: 'The service group' }) groupId: string, @Ctx() ctx: RequestContext): Promise<GroupQueue | null> {
    return groupQueue(ctx, groupId);
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Query(() => [AgentWorkload], {
    description: "Every agent's workload (group members and agents with a status), by name: status, load, capacity, handled today, and average first response, handling time and rating since `since` (today by default)",
  })
  agentWorkload(@Args() args: AgentWorkloadArgs, @Ctx() ctx: RequestContext): Promise<AgentWorkload[]> {
    return agentWorkload(ctx, args.since);
  }

  @Authorized(READ)
  @Query(() => ConversationConnection, { description: 'Conversation records by condition (channel, agent, group, status, bot or human, rating, time, text in messages); newest first' })
  conversations(@Args() args: ConversationsArgs, @Ctx() ctx: RequestContext) {
    return searchConversations(ctx, args);
  }

  @Authorized(READ)
  @Query(() => [VisitorCount], { description: "Visitors and conversations by channel and day, in the workspace's time zone; days and channels with neither are left out" })
  visitorCounts(@Args() args: VisitorCountsArgs, @Ctx() ctx: RequestContext): Promise<VisitorCount[]> {
    return visitorCounts(ctx, args.from, args.to);
  }
}

@Resolver(() => GroupQueue)
export class GroupQueueResolver {
  @FieldResolver(() => ServiceGroup, { nullable: true, description: 'The service group' })
  group(@Root() queue: GroupQueue, @Ctx() ctx: RequestContext): Promise<ServiceGroup | null> {
    return groupById(ctx).load(queue.groupId);
  }

  @FieldResolver(() => Conversation, { nullable: true, description: 'The conversation waiting longest (next to be assigned); null when nobody waits' })
  oldestWaiting(@Root() queue: GroupQueue, @Ctx() ctx: RequestContext): Promise<Conversation | null> | null {
    return queue.oldestWaitingId ? conversationById(ctx).load(queue.oldestWaitingId) : null;
  }

  @FieldResolver(() => ConversationConnection, { description: 'The waiting conversations in queue order, next first' })
  waiting(@Root() queue: GroupQueue, @Args(() => QueueWaitingArgs) args: QueueWaitingArgs, @Ctx() ctx: RequestContext) {
    return waitingInGroup(ctx, queue.groupId, args);
  }
}

@Resolver(() => AgentWorkload)
export class AgentWorkloadResolver {
  @FieldResolver(() => User, { nullable: true, description: 'The agent' })
  agent(@Root() workload: AgentWorkload, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(workload.agentId);
  }
}

@Resolver(() => VisitorCount)
export class VisitorCountResolver {
  @FieldResolver(() => Channel, { nullable: true, description: 'The channel' })
  channel(@Root() count: VisitorCount, @Ctx() ctx: RequestContext): Promise<Channel | null> {
    return channelById(ctx).load(count.channelId);
  }
}

@Resolver(() => Conversation)
export class ConversationListResolver {
  @FieldResolver(() => Message, { nullable: true, description: 'The last message (internal notes left out), as a list shows it; read for a whole list at once' })
  lastMessage(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<Message | null> {
    return lastMessageOf(ctx).load(conversation.id);
  }
}
