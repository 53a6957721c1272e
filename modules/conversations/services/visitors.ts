import { LockMode } from '@mikro-orm/core';
import { lockEntity } from '../../../src/db/workspace-sql';
import type { RequestContext } from '../../../src/context';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { identifyCustomer } from '../../customers';
import { AgentState } from '../entities/agent';
import { Channel } from '../entities/channel';
import { Conversation } from '../entities/conversation';
import { AgentStatus, AssignedBy, AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { PageView, Visitor } from '../entities/visitor';
import { CONVERSATION_EVENTS } from '../events';
import type { ConversationInviteInput, VisitorPageViewInput } from '../graphql/message-inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { momentOf } from './agents';
import { giveTo, groupIdsOfAgent, lockGroups } from './assignment';
import { callerScope, visitorTokenFor } from './intake';
import { addMessage, contentOf, httpUrl } from './messages';

/*
 * Visitors before (or without) a conversation: the browsing trail the widget reports, and an agent's invitation
 * into a conversation (issue 9, points 2 and 9).
 */

/**
 * visitorPageView: the widget reports a page. With a visitor token, the page joins that visitor's trail; without
 * one (a first visit), the channel and its public widget key make a new visitor, whose token comes back (as
 * conversationStart's does). Staff credentials have no visitor to speak for.
 */
export async function recordPageView(ctx: RequestContext, input: VisitorPageViewInput): Promise<{ visitor: Visitor; visitorToken: string }> {
  await validateInput(input);
  if (ctx.principal && !ctx.guest) throw new AppError('FORBIDDEN', "Page views come from the chat widget: its visitor token, or the channel and its widgetKey");
  const url = httpUrl(input.url, ['input', 'url']);
  const title = input.title?.trim() || null;
  const referrer = input.referrer?.trim() || null;
  const channelId = ctx.guest ? undefined : tryFromGlobalId(input.channelId ?? '', 'Channel');
  const scope = await callerScope(ctx, channelId, input.widgetKey);
  const visitor = await scope.transaction(async (tx) => {
    const now = new Date();
    let visitor: Visitor | null;
    if (tx.ctx.guest) {
      visitor = tx.ctx.guest.guest.type === 'Visitor' ? await tx.em.findOne(Visitor, tx.ctx.guest.guest.id) : null;
      if (!visitor) throw UserInputFailure.of(['input'], 'This visitor token names no visitor of the workspace', UserErrorCode.NOT_FOUND);
      visitor.lastSeenAt = now;
    } else {
      const channel = await tx.em.findOneOrFail(Channel, channelId!);
      visitor = tx.em.create(Visitor, { channel, context: { landingPage: url, ...(referrer ? { referrer } : {}) }, lastSeenAt: now, createdAt: now });
    }
    tx.em.create(PageView, { visitor, url, title, viewedAt: now, createdAt: now });
    return visitor;
  });
  return { visitor, visitorToken: visitorTokenFor(ctx, scope.workspaceId, visitor.id) };
}

/**
 * conversationInvite: an agent (ONLINE, with room) invites a browsing visitor. The conversation starts ACTIVE with
 * that agent (AssignedBy.INVITATION) and the agent's message first; the visitor's widget learns of it through
 * visitorConversations (conversationStarted names the visitor). Locks in the README's order: the visitor (two agents
 * inviting them at once: one wins, the other sees the open conversation; and before any group, as the visitor's own
 * start takes it), the customers' (identifying a visitor not yet a customer), the agent's groups (so no assignment in
 * them gives the agent's last slot meanwhile), the agent's state.
 */
export async function inviteVisitor(ctx: RequestContext, input: ConversationInviteInput): Promise<Conversation> {
  await validateInput(input);
  if (!ctx.can(CONVERSATIONS_PERMISSIONS.write)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.write]);
  const agent = ctx.caller;
  const content = contentOf(MessageKind.TEXT, input.message);
  return ctx.transaction(async (tx) => {
    const visitorId = tryFromGlobalId(input.visitorId, 'Visitor');
    const visitor = visitorId ? await lockEntity(tx, Visitor, visitorId) : null;
    if (!visitor) throw UserInputFailure.of(['input', 'visitorId'], 'No such visitor', UserErrorCode.NOT_FOUND);
    // Identified before the groups are locked: a start identifying a new customer holds the customers' locks and then
    // waits for its group (README, lock order).
    const customer = visitor.customer ?? (await identifyCustomer(tx, {}, ['input', 'visitorId'])).customer;
    const groups = await lockGroups(tx, await groupIdsOfAgent(tx, agent.userId));
    const [state] = await tx.em.find(AgentState, { agent: agent.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    if (state?.status !== AgentStatus.ONLINE) throw UserInputFailure.of(['input'], 'Go ONLINE to invite visitors', UserErrorCode.AGENT_UNAVAILABLE);
    if (state.activeCount >= state.capacity) throw UserInputFailure.of(['input'], 'You have no free capacity for another conversation', UserErrorCode.AGENT_UNAVAILABLE);
    if (await tx.em.count(Conversation, { visitor, status: { $ne: ConversationStatus.CLOSED } })) {
      throw UserInputFailure.of(['input', 'visitorId'], 'The visitor is in a conversation already', UserErrorCode.NOT_ALLOWED);
    }
    const channel = await tx.em.findOneOrFail(Channel, visitor.channel.id);
    // The channel's own group when the agent serves it, else one of the agent's groups: where its queue statistics go.
    const group = groups.find((g) => g.id === channel.defaultGroup?.id) ?? groups[0] ?? null;
    visitor.customer = customer;
    const at = await momentOf(tx);
    const lastPage = await tx.em.findOne(PageView, { visitor }, { orderBy: { viewedAt: 'desc' } });
    const context = { ...visitor.context, ...(lastPage ? { originatingPage: lastPage.url } : {}) };
    const conversation = tx.em.create(Conversation, { channel, visitor, customer, status: ConversationStatus.ACTIVE, context, createdAt: at.now });
    tx.emit(CONVERSATION_EVENTS.started, conversation.id, { channelId: channel.id, customerId: customer.id, visitorId: visitor.id });
    await giveTo(tx, conversation, {
      agentId: agent.userId, rule: AssignedBy.INVITATION,
      reason: { summary: `INVITATION: ${agent.user.displayName} invited the visitor`, candidates: [], tieBreak: null },
    }, group, at);
    addMessage(tx, conversation, { authorKind: AuthorKind.AGENT, authorUserId: agent.userId, kind: MessageKind.TEXT, content }, at.now);
    return conversation;
  });
}
