import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { findByIds, defineLoader } from '../../../src/context/loaders';
import { Connection, type ConnectionShape, paginate } from '../../../src/graphql/connection';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Conversation } from '../entities/conversation';
import { PageView, Visitor } from '../entities/visitor';
import { ConversationInviteInput, VisitorPageViewInput } from '../graphql/message-inputs';
import { PAGE_VIEW_SORT, VISITOR_SORT, VisitorPageViewPayload, VisitorsArgs } from '../graphql/message-types';
import { ConversationPayload } from '../graphql/types';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { pageViewsOfVisitor } from '../services/nested-lists';
import { inviteVisitor, recordPageView } from '../services/visitors';

const PageViewConnection = Connection(PageView);
const VisitorConnection = Connection(Visitor);

const visitorById = defineLoader<string, Visitor | null>('conversations.visitorById', (ids, ctx) => findByIds(ctx, Visitor, ids));

@Resolver(() => Visitor)
export class VisitorResolver {
  // No @Authorized: the widget calls it anonymously on a first visit, with the channel's widget key (checked in the service).
  @Mutation(() => VisitorPageViewPayload, {
    description: "The chat widget reports a page the visitor viewed: with the visitor's token, or on a first visit with the channel and its widgetKey (a new visitor, whose token comes back)",
  })
  visitorPageView(@Arg('input', { description: 'The page, its title and the referrer' }) input: VisitorPageViewInput, @Ctx() ctx: RequestContext): Promise<VisitorPageViewPayload> {
    return mutationPayload(VisitorPageViewPayload, () => recordPageView(ctx, input));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => ConversationPayload, {
    description: "An agent (ONLINE, with free capacity) invites a browsing visitor into a conversation: assigned to the agent (INVITATION), the agent's message first. The widget learns of it through visitorConversations",
  })
  conversationInvite(@Arg('input', { description: 'The visitor and the first message' }) input: ConversationInviteInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await inviteVisitor(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => VisitorConnection, { description: 'Visitors, the most recently seen first (who is browsing now), optionally of one channel' })
  visitors(@Args() args: VisitorsArgs, @Ctx() ctx: RequestContext): Promise<ConnectionShape<Visitor>> {
    const channelId = args.channelId ? tryFromGlobalId(args.channelId, 'Channel') : undefined;
    if (args.channelId && !channelId) throw new AppError('BAD_USER_INPUT', '`channelId` is not the id of a channel', { field: ['channelId'] });
    return paginate(ctx.em, Visitor, channelId ? { channel: channelId } : {}, args, VISITOR_SORT.sortKey(args.sort));
  }

  @FieldResolver(() => PageViewConnection, { description: 'The browsing trail 浏览轨迹, newest first' })
  pageViews(@Root() visitor: Visitor, @Args(() => PAGE_VIEW_SORT.Args) args: InstanceType<typeof PAGE_VIEW_SORT.Args>, @Ctx() ctx: RequestContext): Promise<ConnectionShape<PageView>> {
    return pageViewsOfVisitor(ctx, visitor.id, args);
  }
}

/** Conversation's visitor (kept apart from resolvers/conversation.ts: merges). */
@Resolver(() => Conversation)
export class ConversationVisitorResolver {
  @FieldResolver(() => Visitor, { nullable: true, description: 'The visitor: where they came from and their browsing trail' })
  visitor(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<Visitor | null> {
    return visitorById(ctx).load(conversation.visitor.id);
  }
}
