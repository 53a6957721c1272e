import { LockMode } from '@mikro-orm/core';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure } from '../../../src/graphql/user-errors';
import { User, USER_CHANGED } from '../../../src/auth';
import { onEvent } from '../../../src/kernel/module';
import { AgentState } from '../entities/agent';
import { AgentStatus } from '../entities/enums';
import { CONVERSATION_EVENTS } from '../events';
import { deskSettingsOf } from './desk-settings';
import { drainQueues, groupIdsOfAgent, lockGroups, type AssignmentMoment } from './assignment';

/** The most conversations one agent may hold at once: a guard against typos (500 for 5), not a policy. */
export const MAX_CAPACITY = 100;

/**
 * The agent's state row locked FOR UPDATE, made first (with defaults) when the agent has none. The caller has
 * locked the agent's groups first (README, lock order).
 */
async function lockAgentState(tx: WriteTransaction, agentId: string): Promise<AgentState> {
  const sql = workspaceSql(tx);
  await sql`
    insert into agent_state (id, created_at, updated_at, workspace_id, agent_id, status, capacity, active_count, handled_today)
    values (gen_random_uuid(), now(), now(), ${WORKSPACE}, ${agentId}, 'OFFLINE', 5, 0, 0)
    on conflict (workspace_id, agent_id) do nothing`;
  const [state] = await tx.em.find(AgentState, { agent: agentId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  return state;
}

/** The state as the assignments just made left it (they move the counters in SQL, past the entity). */
function reread(tx: WriteTransaction, state: AgentState): Promise<AgentState> {
  return tx.em.findOneOrFail(AgentState, state.id, { refresh: true });
}

/** The instant and the workspace's today (desk settings: read once per transaction, through its own connection). */
export async function momentOf(tx: WriteTransaction): Promise<AssignmentMoment> {
  const now = new Date();
  return { now, today: (await deskSettingsOf(tx)).clock.dateOf(now) };
}

/**
 * The agent sets their own status. Coming ONLINE starts their round-robin place (onlineSince) and serves the
 * queues of their groups at once; BUSY, AWAY and OFFLINE stop new assignments but keep what they hold (the agent
 * finishes or transfers them).
 */
export async function setAgentStatus(ctx: RequestContext, status: AgentStatus): Promise<AgentState> {
  const agentId = ctx.caller.userId;
  return ctx.transaction(async (tx) => {
    const groups = await lockGroups(tx, await groupIdsOfAgent(tx, agentId));
    const state = await lockAgentState(tx, agentId);
    const at = await momentOf(tx);
    if (state.status !== status) {
      state.onlineSince = status === AgentStatus.ONLINE ? at.now : status === AgentStatus.OFFLINE ? null : state.onlineSince;
      state.status = status;
      tx.emit(CONVERSATION_EVENTS.agentChanged, agentId);
    }
    await tx.em.flush();
    if (status === AgentStatus.ONLINE) await drainQueues(tx, groups, at);
    return reread(tx, state);
  });
}

/** A manager sets an agent's capacity; more room serves the agent's groups' queues at once. */
export async function setAgentCapacity(ctx: RequestContext, userGlobalId: string, capacity: number): Promise<AgentState> {
  if (!Number.isInteger(capacity) || capacity < 0) throw UserInputFailure.of(['input', 'capacity'], 'capacity cannot be below zero', UserErrorCode.TOO_SMALL);
  if (capacity > MAX_CAPACITY) throw UserInputFailure.of(['input', 'capacity'], `capacity cannot be above ${MAX_CAPACITY}`, UserErrorCode.TOO_LARGE);
  const agentId = tryFromGlobalId(userGlobalId, 'User');
  return ctx.transaction(async (tx) => {
    const user = agentId ? await tx.em.findOne(User, agentId) : null;
    if (!user) throw UserInputFailure.of(['input', 'userId'], 'No such user', UserErrorCode.NOT_FOUND);
    const groups = await lockGroups(tx, await groupIdsOfAgent(tx, user.id));
    const state = await lockAgentState(tx, user.id);
    const before = state.capacity;
    state.capacity = capacity;
    tx.audit({ action: 'conversations.agent.capacity', subjectType: 'User', subjectId: user.id, changes: { capacity } });
    tx.emit(CONVERSATION_EVENTS.agentChanged, user.id);
    await tx.em.flush();
    if (capacity > before) await drainQueues(tx, groups, await momentOf(tx));
    return reread(tx, state);
  });
}

/**
 * A user's record changed (made active again, above all: they may still be ONLINE with room, and nothing else would
 * serve their groups' queues until the next change there): their groups' queues are served, as when they come online.
 * A reaction, after the change committed; draining twice serves nothing twice.
 */
export const serveQueuesOfChangedUser = onEvent(USER_CHANGED, 'serveQueuesOfChangedUser', async (ctx, event) => {
  await ctx.transaction(async (tx) => {
    const groups = await lockGroups(tx, await groupIdsOfAgent(tx, event.refs.userId));
    if (groups.length) await drainQueues(tx, groups, await momentOf(tx));
  });
});
