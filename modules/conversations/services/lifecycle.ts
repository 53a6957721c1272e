import { LockMode } from '@mikro-orm/core';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { entityOfRow } from '../../../src/db/entity-views';
import { lockEntity, sqlFragment, WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure } from '../../../src/graphql/user-errors';
import { User } from '../../../src/auth';
import { AgentState } from '../entities/agent';
import { Conversation } from '../entities/conversation';
import { AgentStatus, AssignedBy, AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { ServiceGroup } from '../entities/service-group';
import { CONVERSATION_EVENTS } from '../events';
import { momentOf } from './agents';
import { DESK_SETTINGS_COLUMNS, knowDeskSettings } from './desk-settings';
import { assignOrQueue, closeAndRelease, drainQueues, giveTo, groupIdsOfAgent, lockedGroupsOf, lockingGroups, releaseAgent, type LockedGroup } from './assignment';
import { addMessage, mayAct } from './messages';

/**
 * A conversation's changes of hands and of state: close, reopen, transfer, escalate. Each locks, in the README's
 * order, the groups whose queues the change touches (the conversation's group and its agent's groups, whose
 * queues the freed slot serves), then the conversation (re-checking who holds it, since that was read before the
 * locks), then the agents. `conversationId` is a global id from a request, or with `system` (the server's own jobs,
 * which act on any conversation of their workspace) a uuid.
 */
export async function lockForChange(
  tx: WriteTransaction, conversationId: string, extraGroupIds: string[] = [], options: { system?: boolean } = {},
): Promise<{ conversation: Conversation; groups: LockedGroup[] }> {
  const id = options.system ? conversationId : tryFromGlobalId(conversationId, 'Conversation');
  for (;;) {
    // One statement: the conversation, the desk settings, and the groups it touches locked (its group, its agent's, the
    // extra ones). A caller who may not act on it learns NOT_FOUND (and the locks go with the rolled-back transaction).
    const [row] = id ? await workspaceSql(tx)<{ conversation: Record<string, unknown>; groups: Parameters<typeof lockedGroupsOf>[0]; desk_time_zone: string; desk_reassign_after: number | null }>`
      select to_jsonb(c) as conversation, ${DESK_SETTINGS_COLUMNS}, ${lockingGroups(sqlFragment`g.id = c.group_id or g.id = any(${extraGroupIds}::uuid[])
        or g.id in (select m.group_id from service_group_member m where m.workspace_id = c.workspace_id and m.agent_id = c.assignee_id)`)} as groups
      from conversation c where c.workspace_id = ${WORKSPACE} and c.id = ${id}` : [];
    const seen = row ? entityOfRow(tx.em, Conversation, row.conversation, { refresh: true }) : null;
    if (!seen || (!options.system && !mayAct(tx.ctx, seen))) throw UserInputFailure.of(['input', 'id'], 'No such conversation', UserErrorCode.NOT_FOUND);
    knowDeskSettings(tx, row);
    const groups = lockedGroupsOf(row.groups);
    // Re-read under the group locks (the statement's snapshot predates them): who holds it cannot change now.
    const assigneeId = seen.assignee?.id ?? null;
    const groupId = seen.group?.id;
    const conversation = (await lockEntity(tx, Conversation, seen.id))!;
    if ((conversation.assignee?.id ?? null) === assigneeId && conversation.group?.id === groupId) return { conversation, groups };
    // Someone else moved it between the read and the locks: lock what it touches now.
  }
}

/** Closes the conversation (an agent, a manager, or its visitor); the agent's freed slot serves their queues at once. */
export async function closeConversation(ctx: RequestContext, globalId: string): Promise<Conversation> {
  return ctx.transaction(async (tx) => {
    const { conversation, groups } = await lockForChange(tx, globalId);
    return closeLocked(tx, conversation, groups);
  });
}

/** Closes a conversation locked by lockForChange (with the groups it locked). */
export async function closeLocked(tx: WriteTransaction, conversation: Conversation, groups: LockedGroup[]): Promise<Conversation> {
  if (conversation.status === ConversationStatus.CLOSED) throw UserInputFailure.of(['input', 'id'], 'The conversation is closed already', UserErrorCode.ALREADY_DONE);
  const at = await momentOf(tx);
  const agentId = conversation.assignee?.id;
  await closeAndRelease(tx, conversation, at.now);
  tx.emit(CONVERSATION_EVENTS.closed, conversation.id, { agentId, groupId: conversation.group?.id });
  if (agentId) await drainQueues(tx, groups, at);
  return conversation;
}

/** Reopens a closed conversation: back into its group, to an agent or the queue (a reopening joins the queue's end). */
export async function reopenConversation(ctx: RequestContext, globalId: string): Promise<Conversation> {
  return ctx.transaction(async (tx) => {
    const { conversation, groups } = await lockForChange(tx, globalId);
    if (conversation.status !== ConversationStatus.CLOSED) throw UserInputFailure.of(['input', 'id'], 'Only a closed conversation can be reopened', UserErrorCode.NOT_ALLOWED);
    const group = groups.find((g) => g.id === conversation.group?.id);
    if (!group) throw UserInputFailure.of(['input', 'id'], 'The conversation has no service group to go back to', UserErrorCode.NOT_ALLOWED);
    const at = await momentOf(tx);
    Object.assign(conversation, { closedAt: null, queuedAt: null });
    tx.emit(CONVERSATION_EVENTS.reopened, conversation.id);
    await assignOrQueue(tx, conversation, group, at);
    return conversation;
  });
}

/**
 * Transfers an ACTIVE or QUEUED conversation to an agent (ONLINE, with room: otherwise a userError and nothing
 * changes) or to a group (where it is assigned by the group's rule or queued). The previous agent's slot frees and
 * serves their queues.
 */
export async function transferConversation(ctx: RequestContext, input: { id: string; toAgentId?: string | null; toGroupId?: string | null; note?: string | null }): Promise<Conversation> {
  if (!input.toAgentId === !input.toGroupId) throw UserInputFailure.of(['input'], 'Give either toAgentId or toGroupId', UserErrorCode.ONE_OF_REQUIRED);
  return ctx.transaction(async (tx) => {
    const toGroupId = input.toGroupId ? tryFromGlobalId(input.toGroupId, 'ServiceGroup') : undefined;
    const toGroup = toGroupId ? await tx.em.findOne(ServiceGroup, toGroupId) : null;
    if (input.toGroupId && !toGroup) throw UserInputFailure.of(['input', 'toGroupId'], 'No such service group', UserErrorCode.NOT_FOUND);
    const toAgentId = input.toAgentId ? tryFromGlobalId(input.toAgentId, 'User') : undefined;
    const toAgent = toAgentId ? await tx.em.findOne(User, toAgentId) : null;
    if (input.toAgentId && !toAgent) throw UserInputFailure.of(['input', 'toAgentId'], 'No such agent', UserErrorCode.NOT_FOUND);
    const { conversation, groups } = await lockForChange(tx, input.id, [...(toGroup ? [toGroup.id] : []), ...(toAgent ? await groupIdsOfAgent(tx, toAgent.id) : [])]);
    if (conversation.status !== ConversationStatus.ACTIVE && conversation.status !== ConversationStatus.QUEUED) {
      throw UserInputFailure.of(['input', 'id'], `A ${conversation.status} conversation cannot be transferred`, UserErrorCode.NOT_ALLOWED);
    }
    const at = await momentOf(tx);
    const fromAgentId = conversation.assignee?.id;
    if (toAgent) {
      if (toAgent.id === fromAgentId) throw UserInputFailure.of(['input', 'toAgentId'], 'The conversation is with this agent already', UserErrorCode.ALREADY_DONE);
      const [state] = await tx.em.find(AgentState, { agent: toAgent.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (!toAgent.active || state?.status !== AgentStatus.ONLINE) throw UserInputFailure.of(['input', 'toAgentId'], 'The agent is not online', UserErrorCode.AGENT_UNAVAILABLE);
      if (state.activeCount >= state.capacity) throw UserInputFailure.of(['input', 'toAgentId'], 'The agent has no free capacity', UserErrorCode.AGENT_UNAVAILABLE);
      const by = ctx.principal && ctx.principal.kind !== 'GUEST' ? ctx.principal.userId : undefined;
      await giveTo(tx, conversation, {
        agentId: toAgent.id, rule: AssignedBy.TRANSFER,
        reason: { summary: `TRANSFER to ${toAgent.displayName}${input.note ? `: ${input.note}` : ''}`, candidates: [], tieBreak: null },
      }, null, at, fromAgentId);
      if (input.note) addMessage(tx, conversation, { authorKind: AuthorKind.AGENT, authorUserId: by, kind: MessageKind.NOTE, content: input.note }, at.now);
    } else {
      const group = groups.find((g) => g.id === toGroup!.id)!;
      conversation.queuedAt = null;
      await assignOrQueue(tx, conversation, group, at, fromAgentId);
    }
    await tx.em.flush();
    if (fromAgentId) {
      await releaseAgent(tx, fromAgentId);
      await drainQueues(tx, groups, at);
    }
    return conversation;
  });
}

/** Escalates to a manager: flagged for managers' views and announced; the agent keeps it. */
export async function escalateConversation(ctx: RequestContext, globalId: string, reason?: string | null): Promise<Conversation> {
  return ctx.transaction(async (tx) => {
    const { conversation } = await lockForChange(tx, globalId);
    if (ctx.guest) throw new AppError('FORBIDDEN', 'Visitors cannot escalate');
    if (conversation.status === ConversationStatus.CLOSED) throw UserInputFailure.of(['input', 'id'], 'The conversation is closed', UserErrorCode.CONVERSATION_CLOSED);
    if (conversation.escalated) throw UserInputFailure.of(['input', 'id'], 'The conversation is escalated already', UserErrorCode.ALREADY_DONE);
    conversation.escalated = true;
    if (reason) addMessage(tx, conversation, { authorKind: AuthorKind.AGENT, authorUserId: ctx.caller.userId, kind: MessageKind.NOTE, content: reason });
    tx.emit(CONVERSATION_EVENTS.escalated, conversation.id);
    return conversation;
  });
}
