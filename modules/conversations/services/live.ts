import type { RequestContext } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure } from '../../../src/graphql/user-errors';
import type { DomainEvent } from '../../../src/kernel/events';
import { Conversation } from '../entities/conversation';
import { AuthorKind, ConversationStatus } from '../entities/enums';
import { ServiceGroup } from '../entities/service-group';
import type { TypingSetInput } from '../graphql/message-inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { CONVERSATION_SIGNALS } from '../signals';
import { mayAct } from './messages';

/*
 * What the live side needs besides the event log: who may follow a conversation or a queue (checked once, when a
 * subscription starts), typing signals, and a queue's summary for queueUpdated.
 */

/** Staff with conversations:read follow any conversation of the workspace; a visitor their own only. */
function mayFollow(ctx: RequestContext, conversation: Conversation): boolean {
  const guest = ctx.guest;
  if (guest) return guest.guest.type === 'Visitor' && conversation.visitor.id === guest.guest.id;
  return ctx.can(CONVERSATIONS_PERMISSIONS.read);
}

/**
 * The uuid of a conversation the caller may follow, for a subscription's match. Staff without conversations:read are
 * FORBIDDEN; an unknown id, another workspace's and another visitor's conversation are all NOT_FOUND (a visitor's token
 * learns nothing of conversations not its own).
 */
export async function followableConversation(ctx: RequestContext, globalId: string): Promise<string> {
  if (!ctx.guest && !ctx.can(CONVERSATIONS_PERMISSIONS.read)) throw AppError.forbidden([CONVERSATIONS_PERMISSIONS.read]);
  const id = tryFromGlobalId(globalId, 'Conversation');
  const conversation = id ? await ctx.em.findOne(Conversation, id) : null;
  if (!conversation || !mayFollow(ctx, conversation)) throw AppError.notFound('Conversation');
  return conversation.id;
}

/** The uuid of a service group of the workspace, for queueUpdated (staff with conversations:read: the field's rule). */
export async function followableGroup(ctx: RequestContext, globalId: string): Promise<string> {
  const id = tryFromGlobalId(globalId, 'ServiceGroup');
  const group = id ? await ctx.em.findOne(ServiceGroup, id) : null;
  if (!group) throw AppError.notFound('ServiceGroup');
  return group.id;
}

/**
 * typingSet: tells the conversation's followers (its visitor and the agents on it) that the caller started or stopped
 * typing. A signal, never stored (README, "Events or signals?"): the widget sends it again while typing lasts.
 */
export async function setTyping(ctx: RequestContext, input: TypingSetInput): Promise<Conversation> {
  const id = tryFromGlobalId(input.conversationId, 'Conversation');
  const conversation = id ? await ctx.em.findOne(Conversation, id) : null;
  if (!conversation || !mayAct(ctx, conversation)) throw UserInputFailure.of(['input', 'conversationId'], 'No such conversation', UserErrorCode.NOT_FOUND);
  if (conversation.status === ConversationStatus.CLOSED) throw UserInputFailure.of(['input', 'conversationId'], 'The conversation is closed', UserErrorCode.CONVERSATION_CLOSED);
  const payload = ctx.guest ? { typing: input.typing, authorKind: AuthorKind.VISITOR } : { typing: input.typing, authorKind: AuthorKind.AGENT, name: ctx.caller.user.displayName };
  await ctx.app.signals.publish(ctx.workspaceId, CONVERSATION_SIGNALS.typing, conversation.id, payload);
  return conversation;
}

/** A group's queue now: how many wait and since when the longest has. */
export interface QueueSummary {
  length: number;
  oldestQueuedAt: Date | null;
}

/**
 * The group's queue when the event is delivered, read once per event and instance however many of its subscribers there
 * (EventLog.readOnce): the same for every reader of the workspace.
 */
export function queueSummaryAt(ctx: RequestContext, event: DomainEvent, groupId: string): Promise<QueueSummary> {
  return ctx.app.events.readOnce(event, `queue:${groupId}`, async () => {
    const [row] = await workspaceSql(ctx)<{ length: number; oldest: Date | null }>`
      select count(*)::int as length, min(queued_at) as oldest from conversation
      where workspace_id = ${WORKSPACE} and group_id = ${groupId} and status = 'QUEUED'`;
    return { length: row.length, oldestQueuedAt: row.oldest ? new Date(row.oldest) : null };
  });
}
