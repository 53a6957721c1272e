import type { WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { User } from '../../../src/auth';
import { Assignment, Conversation } from '../entities/conversation';
import { AssignedBy, AssignmentRule, ConversationStatus } from '../entities/enums';
import { ServiceGroup } from '../entities/service-group';
import { CONVERSATION_EVENTS } from '../events';
import { chooseAgent, returningCustomerChoice, type Candidate, type Choice } from './assignment-rules';
import { awaitsAnswer, startQueueWaitTimer, startSilenceTimers } from './timers';

/**
 * The assignment engine: every change of who serves a conversation, and of the agents' counters, goes through
 * here, inside the caller's write transaction, under row locks taken in one order (README, "Concurrency"):
 * service groups (lockGroups) → the conversation → agent states. Hot statements are plain SQL through workspaceSql
 * (stack.md: several times cheaper than ORM statements), while conversation rows are changed through their entities
 * so that the caller's flush writes them with the rest of its work.
 */

/** A service group as locked for an assignment: its rule and round-robin cursor, read under the lock. */
export interface LockedGroup {
  id: string;
  rule: AssignmentRule;
  returningCustomerFirst: boolean;
  cursor: { onlineSince: Date | null; agentId: string | null };
}

interface GroupRow {
  id: string;
  assignment_rule: AssignmentRule;
  returning_customer_first: boolean;
  round_robin_online_since: string | null;
  round_robin_agent_id: string | null;
}

/**
 * Locks service groups FOR UPDATE, in id order: from here to commit, no other transaction on any instance assigns
 * in these groups, and each statement after the lock reads what the previous holder committed.
 */
export async function lockGroups(tx: WriteTransaction, groupIds: Iterable<string>): Promise<LockedGroup[]> {
  const ids = [...new Set(groupIds)].sort();
  if (!ids.length) return [];
  const rows = await workspaceSql(tx)<GroupRow>`
    select id, assignment_rule, returning_customer_first, round_robin_online_since, round_robin_agent_id
    from service_group where workspace_id = ${WORKSPACE} and id = any(${ids}::uuid[]) order by id for update`;
  return rows.map((row) => ({
    id: row.id,
    rule: row.assignment_rule,
    returningCustomerFirst: row.returning_customer_first,
    cursor: { onlineSince: row.round_robin_online_since ? new Date(row.round_robin_online_since) : null, agentId: row.round_robin_agent_id },
  }));
}

/** The groups an agent belongs to (to drain their queues when the agent has room again). */
export async function groupIdsOfAgent(tx: WriteTransaction, agentId: string): Promise<string[]> {
  const rows = await workspaceSql(tx)<{ group_id: string }>`
    select group_id from service_group_member where workspace_id = ${WORKSPACE} and agent_id = ${agentId}`;
  return rows.map((row) => row.group_id);
}

interface CandidateRow {
  agent_id: string;
  position: number;
  capacity: number;
  active_count: number;
  handled_today: number;
  online_since: string | null;
  last_assigned_at: string | null;
}

/**
 * The group's ONLINE, active agents with room, their agent_state rows locked FOR UPDATE (in id order): a
 * concurrent assignment in another group that shares an agent waits here, then re-reads the agent's counters
 * (PostgreSQL re-checks the row against the condition), so no agent's last slot is given twice.
 */
async function candidatesOf(tx: WriteTransaction, groupId: string, today: string, excludeAgentId?: string): Promise<Candidate[]> {
  const rows = await workspaceSql(tx)<CandidateRow>`
    select s.agent_id, m.position, s.capacity, s.active_count, s.online_since, s.last_assigned_at,
      case when s.handled_on = ${today}::date then s.handled_today else 0 end as handled_today
    from service_group_member m
    join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
    join "user" u on u.workspace_id = s.workspace_id and u.id = s.agent_id
    where m.workspace_id = ${WORKSPACE} and m.group_id = ${groupId} and u.active
      and s.status = 'ONLINE' and s.active_count < s.capacity and s.agent_id is distinct from ${excludeAgentId ?? null}::uuid
    order by s.agent_id for update of s`;
  return rows.map((row) => ({
    agentId: row.agent_id,
    position: row.position,
    capacity: row.capacity,
    activeCount: row.active_count,
    handledToday: Number(row.handled_today),
    onlineSince: row.online_since ? new Date(row.online_since) : null,
    lastAssignedAt: row.last_assigned_at ? new Date(row.last_assigned_at) : null,
  }));
}

/** The agent who last served the customer in another conversation, for returning-customer-first. */
async function lastAgentOf(tx: WriteTransaction, customerId: string, conversationId: string): Promise<string | null> {
  const [row] = await workspaceSql(tx)<{ served_by_id: string }>`
    select served_by_id from conversation
    where workspace_id = ${WORKSPACE} and customer_id = ${customerId} and id <> ${conversationId} and served_by_id is not null
    order by created_at desc limit 1`;
  return row?.served_by_id ?? null;
}

/** Who in the group should take this conversation now, by the group's switches and rule; undefined: nobody can. */
async function chooseFor(tx: WriteTransaction, group: LockedGroup, conversation: Conversation, today: string, excludeAgentId?: string): Promise<Choice | undefined> {
  const candidates = await candidatesOf(tx, group.id, today, excludeAgentId);
  if (!candidates.length) return undefined;
  if (group.returningCustomerFirst) {
    const lastAgentId = await lastAgentOf(tx, conversation.customer.id, conversation.id);
    const returning = lastAgentId ? returningCustomerChoice(candidates, lastAgentId) : undefined;
    if (returning) return returning;
  }
  return chooseAgent(group.rule, candidates, group.cursor);
}

/** What an assignment needs to know of its moment: the instant, and the workspace's today (for handled-today counts). */
export interface AssignmentMoment {
  now: Date;
  today: string;
}

/**
 * Gives the conversation (new, or locked by the caller) to the chosen agent: the conversation turns ACTIVE, the
 * agent's counters move, the group's round-robin cursor follows a round-robin pick, the previous assignment ends and
 * a new Assignment records the rule and the reason. The caller holds the group's lock (when there is a group) and
 * the agent's row lock (candidatesOf, or lockAgents for a transfer).
 */
export async function giveTo(tx: WriteTransaction, conversation: Conversation, choice: Choice, group: LockedGroup | null, at: AssignmentMoment, previousAgentId?: string): Promise<Assignment> {
  const sql = workspaceSql(tx);
  await sql`
    update agent_state set active_count = active_count + 1, last_assigned_at = ${at.now},
      handled_today = case when handled_on = ${at.today}::date then handled_today + 1 else 1 end, handled_on = ${at.today}::date
    where workspace_id = ${WORKSPACE} and agent_id = ${choice.agentId}`;
  if (group && choice.rule === AssignedBy.ROUND_ROBIN) {
    const [cursor] = await sql<{ round_robin_online_since: string }>`
      update service_group set round_robin_agent_id = ${choice.agentId}, round_robin_online_since =
        (select online_since from agent_state where workspace_id = ${WORKSPACE} and agent_id = ${choice.agentId})
      where workspace_id = ${WORKSPACE} and id = ${group.id} returning round_robin_online_since`;
    group.cursor = { onlineSince: new Date(cursor.round_robin_online_since), agentId: choice.agentId };
  }
  // A conversation never assigned before (a new one) has no assignment to end.
  if (conversation.firstAssignedAt) await endCurrentAssignment(tx, conversation.id, at.now);
  const agent = tx.em.getReference(User, choice.agentId);
  const previousGroupId = group ? movedFrom(conversation, group) : undefined;
  Object.assign(conversation, {
    status: ConversationStatus.ACTIVE, assignee: agent, servedBy: agent, assignedAt: at.now, queuedAt: null, humanServed: true,
    firstAssignedAt: conversation.firstAssignedAt ?? at.now,
    group: group ? tx.em.getReference(ServiceGroup, group.id) : conversation.group,
  });
  const assignment = tx.em.create(Assignment, { conversation, agent, group: conversation.group ?? null, rule: choice.rule, reason: choice.reason, createdAt: at.now });
  tx.emit(CONVERSATION_EVENTS.assigned, conversation.id, { agentId: choice.agentId, groupId: conversation.group?.id, previousAgentId, previousGroupId });
  if (awaitsAnswer(conversation)) await startSilenceTimers(tx, conversation, at.now);
  return assignment;
}

/** Ends the conversation's current assignment (closed, transferred, reassigned). */
export async function endCurrentAssignment(tx: WriteTransaction, conversationId: string, now: Date): Promise<void> {
  await workspaceSql(tx)`update assignment set ended_at = ${now} where workspace_id = ${WORKSPACE} and conversation_id = ${conversationId} and ended_at is null`;
}

/** The group a conversation leaves when it goes to `group` (a transfer to another group), so that queue hears of it. */
function movedFrom(conversation: Conversation, group: LockedGroup): string | undefined {
  return conversation.group && conversation.group.id !== group.id ? conversation.group.id : undefined;
}

/** Puts the conversation in its group's queue (keeping its place if it had one; a new place starts the queue-wait timer). */
async function enqueue(tx: WriteTransaction, conversation: Conversation, group: LockedGroup, now: Date, previousAgentId?: string): Promise<void> {
  const previousGroupId = movedFrom(conversation, group);
  const newPlace = !conversation.queuedAt;
  Object.assign(conversation, { status: ConversationStatus.QUEUED, queuedAt: conversation.queuedAt ?? now, group: tx.em.getReference(ServiceGroup, group.id) });
  // Set only when held: on a new conversation, writing null again would cost the flush a second statement.
  if (conversation.assignee) conversation.assignee = null;
  tx.emit(CONVERSATION_EVENTS.queued, conversation.id, { groupId: group.id, previousAgentId, previousGroupId });
  if (newPlace) await startQueueWaitTimer(tx, conversation);
}

/**
 * A conversation entering its group (new, handed over by the bot, reopened, transferred to the group): to an agent
 * when one can take it, otherwise into the queue. Conversations already waiting in the group come first: a new one
 * is assigned only when the queue is empty (the queue is served in arrival order). The caller holds the group's lock.
 * `excludeAgentId`: the agent it leaves (a transfer), not chosen again and named as previousAgentId in the events.
 */
export async function assignOrQueue(tx: WriteTransaction, conversation: Conversation, group: LockedGroup, at: AssignmentMoment, excludeAgentId?: string): Promise<boolean> {
  const [waiting] = await workspaceSql(tx)<{ id: string }>`
    select id from conversation where workspace_id = ${WORKSPACE} and group_id = ${group.id} and status = 'QUEUED' and id <> ${conversation.id} limit 1`;
  const choice = waiting ? undefined : await chooseFor(tx, group, conversation, at.today, excludeAgentId);
  if (choice) {
    await giveTo(tx, conversation, choice, group, at, excludeAgentId);
    return true;
  }
  await enqueue(tx, conversation, group, at.now, excludeAgentId);
  return false;
}

/** Frees one slot of the agent (a conversation closed or left them). The caller holds the agent's groups' locks. */
export async function releaseAgent(tx: WriteTransaction, agentId: string): Promise<void> {
  await workspaceSql(tx)`update agent_state set active_count = active_count - 1 where workspace_id = ${WORKSPACE} and agent_id = ${agentId}`;
}

/**
 * Serves the queues of the locked groups while they have agents with room: each time the longest-waiting
 * conversation among the groups that can take one (arrival order across the groups), so the moment capacity frees the
 * next waiting conversation is assigned, in the transaction that freed it.
 */
export async function drainQueues(tx: WriteTransaction, groups: LockedGroup[], at: AssignmentMoment): Promise<number> {
  const sql = workspaceSql(tx);
  let assigned = 0;
  let open = [...groups];
  while (open.length) {
    const heads = await sql<{ id: string; group_id: string }>`
      select distinct on (group_id) id, group_id from conversation
      where workspace_id = ${WORKSPACE} and status = 'QUEUED' and group_id = any(${open.map((g) => g.id)}::uuid[])
      order by group_id, queued_at, id`;
    if (!heads.length) break;
    const ordered = await tx.em.find(Conversation, { id: { $in: heads.map((h) => h.id) } }, { orderBy: { queuedAt: 'asc', id: 'asc' }, refresh: true });
    let served = false;
    for (const conversation of ordered) {
      const group = open.find((g) => g.id === conversation.group?.id)!;
      const choice = await chooseFor(tx, group, conversation, at.today);
      if (!choice) {
        open = open.filter((g) => g !== group);
        continue;
      }
      await giveTo(tx, conversation, choice, group, at);
      assigned += 1;
      served = true;
      break;
    }
    if (!served) break;
    // Written now: the next round's statements read the assignment.
    await tx.em.flush();
  }
  return assigned;
}
