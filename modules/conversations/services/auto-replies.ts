import { lockEntity } from '../../../src/db/workspace-sql';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import type { JobDefinition } from '../../../src/kernel/module';
import { Channel } from '../entities/channel';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import { momentOf } from './agents';
import { assignOrQueue, drainQueues, releaseAgent } from './assignment';
import { lockForChange } from './lifecycle';
import { addMessage } from './messages';
import { AGENT_SILENCE_TIMER, QUEUE_WAIT_TIMER, SILENCE_REASSIGN_TIMER, type TimerData } from './timers';

/**
 * The timed automatic replies 自动应答 as jobs: what each does when it comes due (timers.ts sets them). How it fires
 * once: the job locks the conversation and acts only if the wait it timed is still the wait now (still queued since
 * then; still unanswered since then by the same agent) and its reply has not been written since the wait began, so a
 * job run twice does nothing the second time.
 */

/** The conversation, locked until the end of the transaction, with its channel; null when gone. */
async function conversationWithChannel(tx: WriteTransaction, id: string): Promise<{ conversation: Conversation; channel: Channel } | null> {
  const conversation = await lockEntity(tx, Conversation, id);
  return conversation ? { conversation, channel: await tx.em.findOneOrFail(Channel, conversation.channel.id) } : null;
}

/**
 * When the agent's silence began: the later of the assignment and the oldest visitor message after the agent's last
 * answer; null when nothing waits for an answer (or nobody is serving).
 */
async function silenceStart(ctx: RequestContext, conversation: Conversation): Promise<Date | null> {
  if (conversation.status !== ConversationStatus.ACTIVE || !conversation.assignedAt) return null;
  const [oldest] = await ctx.em.find(Message, {
    conversation, authorKind: AuthorKind.VISITOR, ...(conversation.lastAgentMessageAt ? { createdAt: { $gt: conversation.lastAgentMessageAt } } : {}),
  }, { orderBy: { seq: 'asc' }, limit: 1 });
  if (!oldest) return null;
  return oldest.createdAt > conversation.assignedAt ? oldest.createdAt : conversation.assignedAt;
}

/** Whether a SYSTEM message with this text was written to the conversation at or after `since`. */
async function alreadySent(tx: WriteTransaction, conversation: Conversation, content: string, since: Date): Promise<boolean> {
  return (await tx.em.count(Message, { conversation, authorKind: AuthorKind.SYSTEM, content, createdAt: { $gte: since } })) > 0;
}

export const queueWaitJob: JobDefinition<TimerData> = {
  ...QUEUE_WAIT_TIMER,
  async handler(ctx, data) {
    await ctx.transaction(async (tx) => {
      const found = await conversationWithChannel(tx, data.conversationId);
      const since = new Date(data.since);
      if (!found || found.conversation.status !== ConversationStatus.QUEUED || found.conversation.queuedAt?.getTime() !== since.getTime()) return;
      const message = found.channel.autoReplies.queueWaitMessage;
      if (!message || (await alreadySent(tx, found.conversation, message, since))) return;
      addMessage(tx, found.conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.TEXT, content: message });
    });
  },
};

/** Whether the silence timed from `since` goes on now: same agent, still ACTIVE, the same oldest unanswered message. */
async function stillSilent(ctx: RequestContext, conversation: Conversation, data: TimerData): Promise<boolean> {
  if (conversation.assignee?.id !== data.agentId) return false;
  return (await silenceStart(ctx, conversation))?.getTime() === new Date(data.since).getTime();
}

export const agentSilenceJob: JobDefinition<TimerData> = {
  ...AGENT_SILENCE_TIMER,
  async handler(ctx, data) {
    await ctx.transaction(async (tx) => {
      const found = await conversationWithChannel(tx, data.conversationId);
      if (!found || !(await stillSilent(tx.context(), found.conversation, data))) return;
      const reminder = found.channel.autoReplies.agentSilenceReminder;
      if (!reminder || (await alreadySent(tx, found.conversation, reminder, new Date(data.since)))) return;
      addMessage(tx, found.conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.NOTE, content: reminder });
    });
  },
};

/**
 * Takes a conversation from an agent silent past the workspace's limit (ConversationSettings.reassignAfterSilenceSeconds)
 * and gives it to another agent of its group by the group's rule, never the silent one; with nobody free it joins the
 * queue as a new arrival. The silent agent's freed slot then serves the queue.
 */
export const silenceReassignJob: JobDefinition<TimerData> = {
  ...SILENCE_REASSIGN_TIMER,
  async handler(ctx, data) {
    await ctx.transaction(async (tx) => {
      const { conversation, groups } = await lockForChange(tx, data.conversationId, [], { system: true });
      if (!(await stillSilent(tx.context(), conversation, data))) return;
      const group = groups.find((g) => g.id === conversation.group?.id);
      if (!group) return;
      const at = await momentOf(tx);
      addMessage(tx, conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.NOTE, content: '坐席长时间未回复，会话已重新分配' }, at.now);
      conversation.queuedAt = null;
      await assignOrQueue(tx, conversation, group, at, data.agentId);
      await tx.em.flush();
      await releaseAgent(tx, data.agentId!);
      await drainQueues(tx, groups, at);
    });
  },
};

export const autoReplyJobs = [queueWaitJob, agentSilenceJob, silenceReassignJob];

