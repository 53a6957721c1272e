import type { WriteTransaction } from '../../../src/context';
import { randomUUID } from 'node:crypto';
import { entityOfRow } from '../../../src/db/entity-views';
import { entityColumns, sqlFragment, sqlText, WORKSPACE, workspaceSql, type SqlFragment } from '../../../src/db/workspace-sql';
import { Conversation } from '../entities/conversation';
import { AssignedBy, AssignmentRule, ConversationStatus } from '../entities/enums';
import { ServiceGroup } from '../entities/service-group';
import { CONVERSATION_EVENTS } from '../events';
import { chooseAgent, returningCustomerChoice, type Candidate, type Choice } from './assignment-rules';
import { awaitsAnswer, startQueueWaitTimer, startSilenceTimers } from './timers';

/**
 * The assignment engine: every change of who serves a conversation, and of the agents' counters, goes through
 * here, inside the caller's write transaction, under row locks taken in one order (README, "Concurrency"):
 * service groups (lockGroups) → the conversation → agent states. Each step is one plain SQL statement through
 * workspaceSql, so that a group stays locked for few round trips (bench/RESULTS.md: the desk's throughput was the time
 * a group's lock is held, and a round trip costs ~0.5 ms of CPU on each side): the choice reads the candidates, the
 * queue and the customer's last agent at once; giving a conversation moves the agent's counters, the round-robin
 * cursor, the assignments and the conversation row in one statement, whose row the conversation's entity then takes
 * (so the caller's flush has nothing more to write for it). A conversation given or queued here is one the database
 * has already (a new one is flushed before its group is locked: services/intake.ts).
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
  round_robin_online_since: string | Date | null;
  round_robin_agent_id: string | null;
}

/**
 * The service groups matching `condition` (on `g`), locked FOR UPDATE in id order, as a JSON array: a sub-select for
 * a statement that locks groups along with what it reads (lockForChange), and lockGroups' own. From the lock to
 * commit, no other transaction on any instance assigns in these groups, and each statement after the lock reads what
 * the previous holder committed.
 */
export function lockingGroups(condition: SqlFragment): SqlFragment {
  return sqlFragment`(select coalesce(jsonb_agg(to_jsonb(g) order by g.id), '[]'::jsonb) from (
    select g.id, g.assignment_rule, g.returning_customer_first, g.round_robin_online_since, g.round_robin_agent_id
    from service_group g where g.workspace_id = ${WORKSPACE} and (${condition}) order by g.id for update) g)`;
}

/** The groups a lockingGroups sub-select returned. */
export function lockedGroupsOf(rows: GroupRow[]): LockedGroup[] {
  return rows.map((row) => ({
    id: row.id,
    rule: row.assignment_rule,
    returningCustomerFirst: row.returning_customer_first,
    cursor: { onlineSince: row.round_robin_online_since ? new Date(row.round_robin_online_since) : null, agentId: row.round_robin_agent_id },
  }));
}

/** Locks service groups FOR UPDATE, in id order (lockingGroups). */
export async function lockGroups(tx: WriteTransaction, groupIds: Iterable<string>): Promise<LockedGroup[]> {
  const ids = [...new Set(groupIds)];
  if (!ids.length) return [];
  const [row] = await workspaceSql(tx)<{ groups: GroupRow[] }>`select ${lockingGroups(sqlFragment`g.id = any(${ids}::uuid[])`)} as groups`;
  return lockedGroupsOf(row.groups);
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
  others_waiting: boolean;
  last_agent_id: string | null;
}

/**
 * Who in the group should take this conversation now, by the group's switches and rule; undefined when nobody can
 * (or, with `queueFirst`, when other conversations wait in the group: the queue is served in arrival order). One
 * statement reads the group's ONLINE, active agents with room, their agent_state rows locked FOR UPDATE (in id
 * order: a concurrent assignment in another group that shares an agent waits here, then PostgreSQL re-checks the
 * row against the condition, so no agent's last slot is given twice), whether others wait, and for
 * returning-customer-first the agent who last served the customer in another conversation.
 */
async function chooseFor(
  tx: WriteTransaction, group: LockedGroup, conversation: Conversation, today: string, options: { excludeAgentId?: string; queueFirst: boolean },
): Promise<Choice | undefined> {
  const othersWaiting = options.queueFirst
    ? sqlFragment`exists (select 1 from conversation w where w.workspace_id = ${WORKSPACE} and w.group_id = ${group.id} and w.status = 'QUEUED' and w.id <> ${conversation.id})`
    : sqlText('false');
  const lastAgent = group.returningCustomerFirst
    ? sqlFragment`(select served_by_id from conversation p where p.workspace_id = ${WORKSPACE} and p.customer_id = ${conversation.customer.id}
        and p.id <> ${conversation.id} and p.served_by_id is not null order by p.created_at desc limit 1)`
    : sqlText('null::uuid');
  const rows = await workspaceSql(tx)<CandidateRow>`
    select s.agent_id, m.position, s.capacity, s.active_count, s.online_since, s.last_assigned_at,
      case when s.handled_on = ${today}::date then s.handled_today else 0 end as handled_today,
      ${othersWaiting} as others_waiting, ${lastAgent} as last_agent_id
    from service_group_member m
    join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
    join "user" u on u.workspace_id = s.workspace_id and u.id = s.agent_id
    where m.workspace_id = ${WORKSPACE} and m.group_id = ${group.id} and u.active
      and s.status = 'ONLINE' and s.active_count < s.capacity and s.agent_id is distinct from ${options.excludeAgentId ?? null}::uuid
    order by s.agent_id for update of s`;
  if (!rows.length || rows[0].others_waiting) return undefined;
  const candidates: Candidate[] = rows.map((row) => ({
    agentId: row.agent_id,
    position: row.position,
    capacity: row.capacity,
    activeCount: row.active_count,
    handledToday: Number(row.handled_today),
    onlineSince: row.online_since ? new Date(row.online_since) : null,
    lastAssignedAt: row.last_assigned_at ? new Date(row.last_assigned_at) : null,
  }));
  const lastAgentId = rows[0].last_agent_id;
  return (lastAgentId ? returningCustomerChoice(candidates, lastAgentId) : undefined) ?? chooseAgent(group.rule, candidates, group.cursor);
}

/** What an assignment needs to know of its moment: the instant, and the workspace's today (for handled-today counts). */
export interface AssignmentMoment {
  now: Date;
  today: string;
}

/**
 * Gives the conversation (locked by the caller, or new and flushed) to the chosen agent, in one statement: the agent's
 * counters move, the group's round-robin cursor follows a round-robin pick, the previous assignment ends, a new
 * Assignment records the rule and the reason, and the conversation turns ACTIVE with its agent (its entity takes the
 * row). The caller holds the group's lock (when there is a group) and the agent's row lock (chooseFor, or the
 * transfer's own).
 */
export async function giveTo(tx: WriteTransaction, conversation: Conversation, choice: Choice, group: LockedGroup | null, at: AssignmentMoment, previousAgentId?: string): Promise<void> {
  const previousGroupId = group ? movedFrom(conversation, group) : undefined;
  const groupId = group?.id ?? conversation.group?.id ?? null;
  const roundRobin = group !== null && choice.rule === AssignedBy.ROUND_ROBIN;
  // Changes the caller made to the entity are written first: the statement below works on the row.
  await tx.em.flush();
  const [row] = await workspaceSql(tx)<Record<string, unknown> & { cursor_online_since: string | null }>`
    with agent as (
      update agent_state set active_count = active_count + 1, last_assigned_at = ${at.now},
        handled_today = case when handled_on = ${at.today}::date then handled_today + 1 else 1 end, handled_on = ${at.today}::date
      where workspace_id = ${WORKSPACE} and agent_id = ${choice.agentId} returning online_since
    ), cursor as (
      update service_group set round_robin_agent_id = ${choice.agentId}, round_robin_online_since = (select online_since from agent)
      where ${roundRobin} and workspace_id = ${WORKSPACE} and id = ${groupId}::uuid returning round_robin_online_since
    ), ended as (
      update assignment set ended_at = ${at.now} where workspace_id = ${WORKSPACE} and conversation_id = ${conversation.id} and ended_at is null
    ), added as (
      insert into assignment (id, created_at, updated_at, workspace_id, conversation_id, agent_id, group_id, rule, reason)
      values (${randomUUID()}, ${at.now}, ${at.now}, ${WORKSPACE}, ${conversation.id}, ${choice.agentId}, ${groupId}::uuid, ${choice.rule}, ${JSON.stringify(choice.reason)}::jsonb)
    ), given as (
      update conversation set status = 'ACTIVE', assignee_id = ${choice.agentId}, served_by_id = ${choice.agentId}, assigned_at = ${at.now},
        queued_at = null, human_served = true, first_assigned_at = coalesce(first_assigned_at, ${at.now}), group_id = ${groupId}::uuid, updated_at = ${at.now}
      where workspace_id = ${WORKSPACE} and id = ${conversation.id} returning ${entityColumns(tx.em, Conversation, 'conversation')}
    )
    select given.*, (select round_robin_online_since from cursor) as cursor_online_since from given`;
  if (!row) throw new Error(`conversation ${conversation.id} is not in the database: flush a new one before assigning it`);
  if (group && roundRobin) group.cursor = { onlineSince: new Date(row.cursor_online_since!), agentId: choice.agentId };
  entityOfRow(tx.em, Conversation, row, { refresh: true });
  tx.emit(CONVERSATION_EVENTS.assigned, conversation.id, { agentId: choice.agentId, groupId: groupId ?? undefined, previousAgentId, previousGroupId });
  if (awaitsAnswer(conversation)) await startSilenceTimers(tx, conversation, at.now);
}

/**
 * Closes the conversation (locked by the caller) in one statement: it turns CLOSED, its current assignment ends, and
 * its agent's slot frees (the caller then serves the agent's queues: drainQueues). Its entity takes the row.
 */
export async function closeAndRelease(tx: WriteTransaction, conversation: Conversation, now: Date): Promise<void> {
  await tx.em.flush();
  const [row] = await workspaceSql(tx)`
    with ended as (
      update assignment set ended_at = ${now} where workspace_id = ${WORKSPACE} and conversation_id = ${conversation.id} and ended_at is null
    ), released as (
      update agent_state set active_count = active_count - 1 where workspace_id = ${WORKSPACE} and agent_id = ${conversation.assignee?.id ?? null}::uuid
    )
    update conversation set status = 'CLOSED', closed_at = ${now}, assignee_id = null, queued_at = null, updated_at = ${now}
    where workspace_id = ${WORKSPACE} and id = ${conversation.id} returning ${entityColumns(tx.em, Conversation, 'conversation')}`;
  entityOfRow(tx.em, Conversation, row, { refresh: true });
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
  const choice = await chooseFor(tx, group, conversation, at.today, { excludeAgentId, queueFirst: true });
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
 * next waiting conversation is assigned, in the transaction that freed it. Each round reads the heads of the queues
 * of groups where someone ONLINE has room; none is the end. The room read is a hint without locks: room made by a
 * status, capacity or membership change comes with those groups' locks, which we hold, so it cannot appear in a
 * passed-over group before we commit; a group with room is re-checked under the agents' row locks (chooseFor). The
 * drain goes on until no group has both a waiting conversation and room, even after a close that freed one slot:
 * room can also appear without a drain (a deactivated agent made active again is still ONLINE), and the group's
 * next change then serves it.
 */
export async function drainQueues(tx: WriteTransaction, groups: LockedGroup[], at: AssignmentMoment): Promise<number> {
  let assigned = 0;
  let open = [...groups];
  while (open.length) {
    const heads = await workspaceSql(tx)`
      select distinct on (c.group_id) ${entityColumns(tx.em, Conversation, 'c')} from conversation c
      where c.workspace_id = ${WORKSPACE} and c.status = 'QUEUED' and c.group_id = any(${open.map((g) => g.id)}::uuid[])
        and exists (select 1 from service_group_member m
          join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
          join "user" u on u.workspace_id = s.workspace_id and u.id = s.agent_id
          where m.workspace_id = c.workspace_id and m.group_id = c.group_id and u.active and s.status = 'ONLINE' and s.active_count < s.capacity)
      order by c.group_id, c.queued_at, c.id`;
    const ordered = heads.map((row) => entityOfRow(tx.em, Conversation, row, { refresh: true }))
      .sort((a, b) => a.queuedAt!.getTime() - b.queuedAt!.getTime() || (a.id < b.id ? -1 : 1));
    open = open.filter((g) => ordered.some((c) => c.group?.id === g.id));
    let served = false;
    for (const conversation of ordered) {
      const group = open.find((g) => g.id === conversation.group?.id)!;
      const choice = await chooseFor(tx, group, conversation, at.today, { queueFirst: false });
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
  }
  return assigned;
}
