/**
 * The assignment engine's invariants (issue 9, point 7), checked from the database after a burst of concurrent
 * starts, closes, status and capacity changes: shared by test/conversations-concurrency.test.ts and
 * bench/assignments.ts (here, not under test/, because the benchmark is built into dist/ and test/ is not).
 * Each check returns the offending rows (empty: the invariant holds), so a failure shows what went wrong.
 */

/** A way to run SQL as a reader of the whole database (a pg Pool's or Client's `query`, or the tests' adminQuery). */
export type Query = (sql: string, params: unknown[]) => Promise<{ rows: any[] }>;

export interface InvariantOptions {
  /** Agents (user uuids) whose capacity was lowered during the burst: they may hold more than their new capacity. */
  capacityLowered?: string[];
}

export interface Violations {
  /** Conversations with more than one open assignment (endedAt null). */
  assignedTwice: any[];
  /** ACTIVE conversations without exactly one open assignment to their assignee; other conversations with one open. */
  openAssignmentMismatch: any[];
  /** Agents holding more ACTIVE conversations than their capacity (capacity not lowered during the burst). */
  overCapacity: any[];
  /** Agents whose active_count is not the number of ACTIVE conversations assigned to them. */
  counterDrift: any[];
  /** Agents whose assignments minus the ended ones is not their active_count (a close freed no slot, or two). */
  slotsNotFreedOnce: any[];
  /** CLOSED conversations whose last assignment did not end when they closed. */
  closedStillAssigned: any[];
  /** Groups with a waiting conversation while an ONLINE member has room. */
  skipped: any[];
}

export async function assignmentViolations(query: Query, workspaceId: string, options: InvariantOptions = {}): Promise<Violations> {
  const rows = async (sql: string, params: unknown[] = []) => (await query(sql, [workspaceId, ...params])).rows;
  return {
    assignedTwice: await rows(`
      select conversation_id, count(*)::int as open from assignment
      where workspace_id = $1 and ended_at is null group by conversation_id having count(*) > 1`),
    openAssignmentMismatch: await rows(`
      select c.id, c.status, c.assignee_id, count(a.id)::int as open, array_agg(a.agent_id) as open_agents
      from conversation c left join assignment a on a.workspace_id = c.workspace_id and a.conversation_id = c.id and a.ended_at is null
      where c.workspace_id = $1
      group by c.id
      having (c.status = 'ACTIVE' and (count(a.id) <> 1 or bool_or(a.agent_id is distinct from c.assignee_id)))
          or (c.status <> 'ACTIVE' and (count(a.id) > 0 or c.assignee_id is not null))`),
    overCapacity: await rows(`
      select agent_id, active_count, capacity from agent_state
      where workspace_id = $1 and active_count > capacity and not (agent_id = any($2::uuid[]))`, [options.capacityLowered ?? []]),
    counterDrift: await rows(`
      select s.agent_id, s.active_count, (select count(*)::int from conversation c
        where c.workspace_id = s.workspace_id and c.assignee_id = s.agent_id and c.status = 'ACTIVE') as active
      from agent_state s where s.workspace_id = $1
      and s.active_count <> (select count(*) from conversation c
        where c.workspace_id = s.workspace_id and c.assignee_id = s.agent_id and c.status = 'ACTIVE')`),
    slotsNotFreedOnce: await rows(`
      select s.agent_id, s.active_count, count(a.id)::int as assigned, count(a.ended_at)::int as ended
      from agent_state s left join assignment a on a.workspace_id = s.workspace_id and a.agent_id = s.agent_id
      where s.workspace_id = $1 group by s.agent_id, s.active_count
      having count(a.id) - count(a.ended_at) <> s.active_count`),
    closedStillAssigned: await rows(`
      select c.id, c.closed_at, last.ended_at from conversation c
      join lateral (select ended_at from assignment a where a.workspace_id = c.workspace_id and a.conversation_id = c.id
        order by a.created_at desc, a.id desc limit 1) last on true
      where c.workspace_id = $1 and c.status = 'CLOSED' and last.ended_at is distinct from c.closed_at`),
    skipped: await rows(`
      select m.group_id, m.agent_id, s.active_count, s.capacity,
        (select count(*)::int from conversation c where c.workspace_id = m.workspace_id and c.group_id = m.group_id and c.status = 'QUEUED') as waiting
      from service_group_member m
      join agent_state s on s.workspace_id = m.workspace_id and s.agent_id = m.agent_id
      join "user" u on u.workspace_id = m.workspace_id and u.id = m.agent_id
      where m.workspace_id = $1 and u.active and s.status = 'ONLINE' and s.active_count < s.capacity
        and exists (select 1 from conversation c where c.workspace_id = m.workspace_id and c.group_id = m.group_id and c.status = 'QUEUED')`),
  };
}

/** The number of violations of all kinds. */
export const violationCount = (violations: Violations) => Object.values(violations).reduce((sum, found) => sum + found.length, 0);

/** A conversation whose start answered QUEUED, and when the caller received that answer (ms since the epoch). */
export interface QueuedStart {
  id: string;
  answeredAt: number;
}

/**
 * Queue order within each group, for conversations that queued when they started (never transferred or reopened:
 * their queue place is their creation time, since intake stamps queuedAt and createdAt with the same instant).
 * X comes before Y in their group's queue when (createdAt, id) of X < that of Y, the engine's own order. A violation:
 * Y got its first agent at aY while X, ahead of it, was already waiting and got its agent only later (or never).
 * "Already waiting" is proven by the clock: X's start was answered (so committed) before aY. That is sound because an
 * agent is given to a waiting conversation only by a queue drain, whose instant is read after it holds the group's
 * lock, and X's start commits under that same lock: answered before aY means committed before the drain's lock.
 * Conversations started while a drain ran are not compared (the check only misses, never accuses wrongly).
 * One pass per group with a Fenwick tree over queue places (maximum of aX), O(n log n) for a benchmark's thousands.
 */
export async function queueOrderViolations(query: Query, workspaceId: string, queued: QueuedStart[]): Promise<Array<{ ahead: string; served: string }>> {
  if (!queued.length) return [];
  const answeredAt = new Map(queued.map((q) => [q.id, q.answeredAt]));
  const { rows } = await query(`
    select c.id, c.group_id, c.created_at, (select min(a.created_at) from assignment a
      where a.workspace_id = c.workspace_id and a.conversation_id = c.id) as first_assigned_at
    from conversation c where c.workspace_id = $1 and c.id = any($2::uuid[])`, [workspaceId, queued.map((q) => q.id)]);
  const byGroup = new Map<string, Array<{ id: string; place: [number, string]; answeredAt: number; assignedAt: number }>>();
  for (const row of rows) {
    const list = byGroup.get(row.group_id) ?? [];
    list.push({
      id: row.id, place: [new Date(row.created_at).getTime(), row.id], answeredAt: answeredAt.get(row.id)!,
      assignedAt: row.first_assigned_at ? new Date(row.first_assigned_at).getTime() : Infinity,
    });
    byGroup.set(row.group_id, list);
  }
  const found: Array<{ ahead: string; served: string }> = [];
  for (const list of byGroup.values()) {
    list.sort((x, y) => x.place[0] - y.place[0] || (x.place[1] < y.place[1] ? -1 : 1));
    // Fenwick tree over queue places: prefix maximum of the assignment instants of conversations already answered.
    const tree = new Array<number>(list.length + 1).fill(-Infinity);
    const treeOwner = new Array<number>(list.length + 1).fill(-1);
    const insert = (place: number) => {
      for (let i = place + 1; i <= list.length; i += i & -i) {
        if (list[place].assignedAt > tree[i]) {
          tree[i] = list[place].assignedAt;
          treeOwner[i] = place;
        }
      }
    };
    const aheadOf = (place: number) => {
      let best = -Infinity;
      let owner = -1;
      for (let i = place; i > 0; i -= i & -i) if (tree[i] > best) [best, owner] = [tree[i], treeOwner[i]];
      return { best, owner };
    };
    const byAnswer = list.map((_, place) => place).sort((x, y) => list[x].answeredAt - list[y].answeredAt);
    const served = list.map((_, place) => place).filter((p) => list[p].assignedAt !== Infinity).sort((x, y) => list[x].assignedAt - list[y].assignedAt);
    let next = 0;
    for (const place of served) {
      const y = list[place];
      while (next < byAnswer.length && list[byAnswer[next]].answeredAt < y.assignedAt) insert(byAnswer[next++]);
      const { best, owner } = aheadOf(place);
      if (best > y.assignedAt) found.push({ ahead: list[owner].id, served: y.id });
    }
  }
  return found;
}
