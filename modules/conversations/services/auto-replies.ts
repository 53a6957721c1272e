import { LockMode } from '@mikro-orm/core';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import type { DomainEvent } from '../../../src/kernel/events';
import { onEvent, type JobDefinition } from '../../../src/kernel/module';
import { Channel } from '../entities/channel';
import { Conversation, Message } from '../entities/conversation';
import { AuthorKind, ConversationStatus, MessageKind } from '../entities/enums';
import { ConversationSettings } from '../entities/quick-reply';
import { CONVERSATION_EVENTS } from '../events';
import { momentOf } from './agents';
import { assignOrQueue, drainQueues, releaseAgent } from './assignment';
import { lockForChange } from './lifecycle';
import { addMessage } from './messages';

/**
 * The timed automatic replies 自动应答 of a channel: a message to a visitor still waiting in the queue after N seconds,
 * a reminder (an internal note) to an agent who has left the visitor unanswered for N seconds, and, where the
 * workspace enables it, reassignment after M seconds of that silence.
 *
 * How a timer is set: a reaction to the event that starts a wait (conversationQueued; conversationAssigned or a
 * visitor's messageAdded for silence) schedules a pg-boss job with `startAfter` at the wait's start plus N. Reactions
 * and jobs are rows in the database, written with the change, so a restart loses no timer and a rollback sets none;
 * pg-boss hands a due job to one worker of one instance. How it fires once: the job locks the conversation and acts
 * only if the wait it timed is still the wait now (still queued since then; still unanswered since then by the same
 * agent) and its reply has not been written since the wait began, so a job run twice does nothing the second time.
 */

interface TimerData {
  workspaceId: string;
  conversationId: string;
  /** The start of the timed wait (ISO): the queueing, or the oldest visitor message the agent has not answered. */
  since: string;
  /** The agent who was to answer (silence timers). */
  agentId?: string;
}

/** Seconds from now until `since` + `seconds` (0 if past): a reaction runs a little after its event. */
const startAfter = (since: Date, seconds: number) => Math.max(0, Math.ceil((since.getTime() + seconds * 1000 - Date.now()) / 1000));

/** The conversation with its channel; null when gone. With `tx`, locked until the end of that transaction. */
async function conversationWithChannel(ctx: RequestContext, id: string, tx?: WriteTransaction): Promise<{ conversation: Conversation; channel: Channel } | null> {
  const em = tx ? tx.em : ctx.em;
  const conversation = await em.findOne(Conversation, id, { refresh: true, ...(tx ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) });
  return conversation ? { conversation, channel: await em.findOneOrFail(Channel, conversation.channel.id) } : null;
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
  name: 'conversations.queueWaitReply',
  async handler(ctx, data) {
    await ctx.transaction(async (tx) => {
      const found = await conversationWithChannel(ctx, data.conversationId, tx);
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
  name: 'conversations.agentSilenceReminder',
  async handler(ctx, data) {
    await ctx.transaction(async (tx) => {
      const found = await conversationWithChannel(ctx, data.conversationId, tx);
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
  name: 'conversations.silenceReassign',
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

/** Starts the queue-wait timer of a conversation that joined a queue, if its channel has the reply. */
async function onQueued(ctx: RequestContext, event: DomainEvent): Promise<void> {
  const found = await conversationWithChannel(ctx, event.subjectId);
  const { queueWaitSeconds, queueWaitMessage } = found?.channel.autoReplies ?? {};
  if (!found || !queueWaitSeconds || !queueWaitMessage || found.conversation.status !== ConversationStatus.QUEUED || !found.conversation.queuedAt) return;
  const since = found.conversation.queuedAt;
  const data: TimerData = { workspaceId: ctx.workspaceId, conversationId: found.conversation.id, since: since.toISOString() };
  await ctx.app.jobs.send(queueWaitJob.name, data, { startAfter: startAfter(since, queueWaitSeconds), singletonKey: `${found.conversation.id}:${since.getTime()}` });
}

/** Starts the silence timers when an agent has something to answer (a new assignment, a visitor's message). */
async function onAwaitingAgent(ctx: RequestContext, event: DomainEvent): Promise<void> {
  const conversationId = event.refs.conversationId ?? event.subjectId;
  const found = await conversationWithChannel(ctx, conversationId);
  if (!found) return;
  const since = await silenceStart(ctx, found.conversation);
  const agentId = found.conversation.assignee?.id;
  if (!since || !agentId) return;
  const data: TimerData = { workspaceId: ctx.workspaceId, conversationId, since: since.toISOString(), agentId };
  const key = `${conversationId}:${agentId}:${since.getTime()}`;
  const { agentSilenceSeconds, agentSilenceReminder } = found.channel.autoReplies;
  if (agentSilenceSeconds && agentSilenceReminder) {
    await ctx.app.jobs.send(agentSilenceJob.name, data, { startAfter: startAfter(since, agentSilenceSeconds), singletonKey: key });
  }
  const settings = await ctx.em.findOne(ConversationSettings, {});
  if (settings?.reassignAfterSilenceSeconds) {
    await ctx.app.jobs.send(silenceReassignJob.name, data, { startAfter: startAfter(since, settings.reassignAfterSilenceSeconds), singletonKey: key });
  }
}

/** The reactions that set the timers (module manifest `on`). */
export const autoReplyReactions = [
  onEvent(CONVERSATION_EVENTS.queued, 'queueWaitTimer', onQueued),
  onEvent(CONVERSATION_EVENTS.assigned, 'silenceTimerOnAssignment', onAwaitingAgent),
  // Queued for visitors' messages only: an agent's, the bot's or the system's starts no wait for an agent.
  onEvent(CONVERSATION_EVENTS.messageAdded, 'silenceTimerOnMessage', onAwaitingAgent, { when: (event) => event.refs.author === AuthorKind.VISITOR }),
];
