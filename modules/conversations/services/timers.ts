import type { WriteTransaction } from '../../../src/context';
import { Channel } from '../entities/channel';
import type { Conversation } from '../entities/conversation';
import { ConversationStatus } from '../entities/enums';
import { deskSettingsOf } from './desk-settings';

/**
 * Setting the timers of the timed automatic replies 自动应答 (their jobs, what they do when due: auto-replies.ts): a
 * message to a visitor still waiting in the queue after N seconds, a reminder to an agent who has left the visitor
 * unanswered for N seconds, and, where the workspace enables it, reassignment after M seconds of that silence.
 *
 * The change that starts a wait (joining a queue; an assignment with a visitor message waiting; a visitor's message
 * while nothing waited) enqueues the job in its own transaction, with `startAfter` at the wait's start plus N, and
 * only when the channel (or the workspace) asks for that timer. Jobs are rows in the database, written with the
 * change: a restart loses no timer, a rollback sets none, and a desk without timers pays nothing for them (they were
 * reactions to the events before, a background job per event whether a timer was wanted or not).
 */

/** What a timer's job carries. */
export interface TimerData {
  workspaceId: string;
  conversationId: string;
  /** The start of the timed wait (ISO): the queueing, or the oldest visitor message the agent has not answered. */
  since: string;
  /** The agent who was to answer (silence timers). */
  agentId?: string;
}

/** The timers' jobs by name (their definitions, in auto-replies.ts, import the engine that imports this file). */
export const QUEUE_WAIT_TIMER = { name: 'conversations.queueWaitReply' };
export const AGENT_SILENCE_TIMER = { name: 'conversations.agentSilenceReminder' };
export const SILENCE_REASSIGN_TIMER = { name: 'conversations.silenceReassign' };

/** Seconds from now until `since` + `seconds` (0 if past). */
const startAfter = (since: Date, seconds: number) => Math.max(0, Math.ceil((since.getTime() + seconds * 1000 - Date.now()) / 1000));

/**
 * What decides whether a wait gets timers: the conversation's channel (its automatic replies; usually in the
 * transaction's identity map already) and the workspace's reassignment limit (desk settings, known once per
 * transaction). Most desks set no timer at all, and then a wait costs nothing more.
 */
async function timersOf(tx: WriteTransaction, conversation: Conversation) {
  const channel = await tx.em.findOneOrFail(Channel, conversation.channel.id);
  return { autoReplies: channel.autoReplies, reassignAfterSilenceSeconds: (await deskSettingsOf(tx)).reassignAfterSilenceSeconds };
}

/**
 * Sets the queue-wait timer of a conversation that has just joined its group's queue (queuedAt newly set), if its
 * channel has the reply: a job written with the change, due at queuedAt + queueWaitSeconds.
 */
export async function startQueueWaitTimer(tx: WriteTransaction, conversation: Conversation): Promise<void> {
  const since = conversation.queuedAt;
  if (!since) return;
  const { queueWaitSeconds, queueWaitMessage } = (await timersOf(tx, conversation)).autoReplies;
  if (!queueWaitSeconds || !queueWaitMessage) return;
  const data: TimerData = { workspaceId: tx.ctx.workspaceId, conversationId: conversation.id, since: since.toISOString() };
  tx.enqueue(QUEUE_WAIT_TIMER, data, { startAfter: startAfter(since, queueWaitSeconds), singletonKey: `${conversation.id}:${since.getTime()}` });
}

/** Whether a visitor's message waits for an answer: one came after the last agent answer (or there is none yet). */
export function awaitsAnswer(conversation: Conversation): boolean {
  const { lastVisitorMessageAt, lastAgentMessageAt } = conversation;
  return !!lastVisitorMessageAt && (!lastAgentMessageAt || lastVisitorMessageAt > lastAgentMessageAt);
}

/**
 * Sets the agent-silence timers (the reminder, and reassignment where the workspace enables it) of an ACTIVE
 * conversation whose agent has something to answer since `since`: called when it is assigned with a visitor message
 * waiting (since: the assignment), and when a visitor writes while nothing was waiting (since: that message). The
 * wait is the one silenceStart finds when the job runs: the later of the assignment and the oldest unanswered visitor
 * message.
 */
export async function startSilenceTimers(tx: WriteTransaction, conversation: Conversation, since: Date): Promise<void> {
  const agentId = conversation.assignee?.id;
  if (!agentId || conversation.status !== ConversationStatus.ACTIVE) return;
  const { autoReplies, reassignAfterSilenceSeconds } = await timersOf(tx, conversation);
  const data: TimerData = { workspaceId: tx.ctx.workspaceId, conversationId: conversation.id, since: since.toISOString(), agentId };
  const singletonKey = `${conversation.id}:${agentId}:${since.getTime()}`;
  if (autoReplies.agentSilenceSeconds && autoReplies.agentSilenceReminder) {
    tx.enqueue(AGENT_SILENCE_TIMER, data, { startAfter: startAfter(since, autoReplies.agentSilenceSeconds), singletonKey });
  }
  if (reassignAfterSilenceSeconds) tx.enqueue(SILENCE_REASSIGN_TIMER, data, { startAfter: startAfter(since, reassignAfterSilenceSeconds), singletonKey });
}
