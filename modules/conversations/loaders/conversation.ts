import { defineLoader, byKey, findByIds } from '../../../src/context/loaders';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { AgentState } from '../entities/agent';
import { Channel } from '../entities/channel';
import { Assignment, Conversation } from '../entities/conversation';
import { ServiceGroup } from '../entities/service-group';

export const channelById = defineLoader<string, Channel | null>('conversations.channelById', (ids, ctx) => findByIds(ctx, Channel, ids));
export const groupById = defineLoader<string, ServiceGroup | null>('conversations.groupById', (ids, ctx) => findByIds(ctx, ServiceGroup, ids));

/** Each conversation's latest assignment (current, or the last before it closed). */
export const latestAssignmentOf = defineLoader<string, Assignment | null>('conversations.latestAssignmentOf', async (ids, ctx) => {
  const rows = await workspaceSql(ctx)<{ id: string }>`
    select distinct on (conversation_id) id from assignment
    where workspace_id = ${WORKSPACE} and conversation_id = any(${[...ids]}::uuid[]) order by conversation_id, created_at desc, id desc`;
  const assignments = rows.length ? await ctx.em.find(Assignment, { id: { $in: rows.map((r) => r.id) } }) : [];
  return byKey(ids, assignments, (a) => a.conversation.id);
});

/**
 * Each QUEUED conversation's place in its group's queue (1 = next), in one statement for a whole list: the
 * conversations of the same group that joined earlier (queuedAt, then id), plus one.
 */
export const queuePositionOf = defineLoader<string, number | null>('conversations.queuePositionOf', async (ids, ctx) => {
  const rows = await workspaceSql(ctx)<{ id: string; position: string }>`
    select c.id, (select count(*) from conversation w where w.workspace_id = c.workspace_id and w.group_id = c.group_id
      and w.status = 'QUEUED' and (w.queued_at, w.id) < (c.queued_at, c.id)) + 1 as position
    from conversation c where c.workspace_id = ${WORKSPACE} and c.id = any(${[...ids]}::uuid[]) and c.status = 'QUEUED'`;
  const byId = new Map(rows.map((r) => [r.id, Number(r.position)]));
  return ids.map((id) => byId.get(id) ?? null);
});

/** How many of a group's latest closed conversations the wait estimate averages (README, "Estimated wait"). */
export const HANDLING_SAMPLE = 20;

/**
 * Each QUEUED conversation's estimated wait in seconds, in one statement for a whole list (README, "Estimated wait"):
 * its queue position × the group's average handling time over its last HANDLING_SAMPLE closed conversations ÷ the
 * slots of the group's ONLINE agents (the sum of their capacities), rounded up. Null when the group has no closed
 * conversation to learn from or nobody online (no honest number to give).
 */
export const estimatedWaitOf = defineLoader<string, number | null>('conversations.estimatedWaitOf', async (ids, ctx) => {
  const rows = await workspaceSql(ctx)<{ id: string; seconds: number | null }>`
    with queued as (
      select c.id, c.group_id, (select count(*) from conversation w where w.workspace_id = c.workspace_id and w.group_id = c.group_id
        and w.status = 'QUEUED' and (w.queued_at, w.id) < (c.queued_at, c.id)) + 1 as position
      from conversation c where c.workspace_id = ${WORKSPACE} and c.id = any(${[...ids]}::uuid[]) and c.status = 'QUEUED'),
    groups as (
      select g.group_id,
        (select avg(extract(epoch from h.closed_at - h.first_assigned_at)) from (
          select closed_at, first_assigned_at from conversation
          where workspace_id = ${WORKSPACE} and group_id = g.group_id and status = 'CLOSED' and closed_at is not null and first_assigned_at is not null
          order by closed_at desc limit ${HANDLING_SAMPLE}) h) as handling_seconds,
        (select sum(s.capacity) from service_group_member m
          join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
          join "user" u on u.workspace_id = m.workspace_id and u.id = m.agent_id
          where m.workspace_id = ${WORKSPACE} and m.group_id = g.group_id and u.active and s.status = 'ONLINE') as slots
      from (select distinct group_id from queued) g)
    select q.id, ceil(q.position * g.handling_seconds / nullif(g.slots, 0))::int as seconds
    from queued q join groups g on g.group_id = q.group_id`;
  const byId = new Map(rows.map((r) => [r.id, r.seconds]));
  return ids.map((id) => byId.get(id) ?? null);
});

export const agentStateOf = defineLoader<string, AgentState | null>('conversations.agentStateOf', async (ids, ctx) =>
  byKey(ids, await ctx.em.find(AgentState, { agent: { $in: [...ids] } }), (s) => s.agent.id),
);

export const conversationById = defineLoader<string, Conversation | null>('conversations.conversationById', (ids, ctx) => findByIds(ctx, Conversation, ids));
