import type { FilterQuery } from '@mikro-orm/postgresql';
import { userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { paginate } from '../../../src/graphql/connection';
import { AppError } from '../../../src/graphql/errors';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { addDays } from '../../../src/kernel/clock';
import { escapeLike } from '../../../src/kernel/text';
import { Assignment, Conversation, Message } from '../entities/conversation';
import { AgentStatus, ConversationStatus } from '../entities/enums';
import {
  AgentWorkload, CONVERSATION_SORT, type ConversationFilter, type ConversationsArgs, GroupQueue, MAX_COUNT_DAYS, QUEUE_SORT,
  type QueueWaitingArgs, VisitorCount,
} from '../graphql/views';

/** A uuid no row has: what an id that names nothing (malformed, of another type) matches. */
const NO_ROW = '00000000-0000-0000-0000-000000000000';

const seconds = (from: Date, to: Date) => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 1000));

/**
 * The queue of every service group now (or of one): length, the longest wait, and the conversation waiting
 * longest, in one statement over the (status, group, queued_at) index; groups nobody waits in are listed too.
 */
export async function groupQueues(ctx: RequestContext, groupId?: string): Promise<GroupQueue[]> {
  const rows = await workspaceSql(ctx)<{ group_id: string; length: number; oldest_id: string | null; oldest_at: Date | null }>`
    select g.id as group_id, q.length, q.oldest_id, q.oldest_at
    from service_group g
    cross join lateral (
      select count(*)::int as length,
        (select c.id from conversation c where c.workspace_id = g.workspace_id and c.status = 'QUEUED' and c.group_id = g.id order by c.queued_at, c.id limit 1) as oldest_id,
        min(c.queued_at) as oldest_at
      from conversation c where c.workspace_id = g.workspace_id and c.status = 'QUEUED' and c.group_id = g.id
    ) q
    where g.workspace_id = ${WORKSPACE} and (${groupId ?? null}::uuid is null or g.id = ${groupId ?? null}::uuid)
    order by g.name, g.id`;
  const now = new Date();
  return rows.map((row) => Object.assign(new GroupQueue(), {
    groupId: row.group_id, length: row.length, oldestWaitingId: row.oldest_id,
    longestWaitSeconds: row.oldest_at ? seconds(new Date(row.oldest_at), now) : null,
  }));
}

/** One group's queue; null for an id that names no group of the workspace. */
export async function groupQueue(ctx: RequestContext, groupGlobalId: string): Promise<GroupQueue | null> {
  const groupId = tryFromGlobalId(groupGlobalId, 'ServiceGroup');
  return groupId ? ((await groupQueues(ctx, groupId))[0] ?? null) : null;
}

/** The conversations waiting in a group, next first. */
export function waitingInGroup(ctx: RequestContext, groupId: string, args: QueueWaitingArgs) {
  return paginate(ctx.em, Conversation, { group: groupId, status: ConversationStatus.QUEUED }, args, QUEUE_SORT.sortKey(args.sort));
}

/**
 * Every agent's workload (members of a group and anyone who has set a status or been given a capacity; deactivated
 * users left out): the figures of now from their agent state, and averages over [since, now), in one statement.
 * - first response: per assignment made in the period, from the assignment to the agent's first message in the
 *   conversation while it was theirs (notes do not count); assignments not yet answered are left out;
 * - handling: per assignment that ended in the period (closed, transferred, taken back), from start to end;
 * - rating: conversations rated in the period whose last agent (servedBy) is the agent.
 */
export async function agentWorkload(ctx: RequestContext, sinceArg?: Date | null): Promise<AgentWorkload[]> {
  const clock = await ctx.clock();
  const now = new Date();
  if (sinceArg && sinceArg.getTime() > now.getTime()) {
    throw new AppError('BAD_USER_INPUT', 'since must not be in the future', { field: ['since'], reason: UserErrorCode.DATE_IN_FUTURE });
  }
  const today = clock.dateOf(now);
  const since = sinceArg ?? clock.startOf(today);
  const rows = await workspaceSql(ctx)<{
    agent_id: string; status: AgentStatus | null; capacity: number | null; active_count: number | null; handled_today: number;
    avg_first_response: number | null; avg_handling: number | null; avg_rating: number | null; rating_count: number;
  }>`
    with agents as (
      select agent_id from service_group_member where workspace_id = ${WORKSPACE}
      union select agent_id from agent_state where workspace_id = ${WORKSPACE}
    ), first_responses as (
      select a.agent_id, avg(extract(epoch from r.first_at - a.created_at))::float8 as avg_first_response
      from assignment a
      cross join lateral (
        select min(m.created_at) as first_at from message m
        where m.workspace_id = a.workspace_id and m.conversation_id = a.conversation_id and m.author_kind = 'AGENT'
          and m.kind <> 'NOTE' and m.author_user_id = a.agent_id and m.created_at >= a.created_at
          and (a.ended_at is null or m.created_at <= a.ended_at)
      ) r
      where a.workspace_id = ${WORKSPACE} and a.created_at >= ${since} and r.first_at is not null
      group by a.agent_id
    ), handling as (
      select agent_id, avg(extract(epoch from ended_at - created_at))::float8 as avg_handling from assignment
      where workspace_id = ${WORKSPACE} and ended_at >= ${since}
      group by agent_id
    ), ratings as (
      select served_by_id as agent_id, avg(rating_score)::float8 as avg_rating, count(*)::int as rating_count from conversation
      where workspace_id = ${WORKSPACE} and rated_at >= ${since} and rating_score is not null and served_by_id is not null
      group by served_by_id
    )
    select ag.agent_id, s.status, s.capacity, s.active_count,
      case when s.handled_on = ${today}::date then s.handled_today else 0 end as handled_today,
      f.avg_first_response, h.avg_handling, r.avg_rating, coalesce(r.rating_count, 0) as rating_count
    from agents ag
    left join agent_state s on s.workspace_id = ${WORKSPACE} and s.agent_id = ag.agent_id
    left join first_responses f on f.agent_id = ag.agent_id
    left join handling h on h.agent_id = ag.agent_id
    left join ratings r on r.agent_id = ag.agent_id`;
  const users = await userById(ctx).loadMany(rows.map((row) => row.agent_id));
  const defaults = { status: AgentStatus.OFFLINE, capacity: 5, activeCount: 0 }; // an agent without a state row yet (entities/agent.ts)
  return rows
    .map((row, i) => ({ row, user: users[i] instanceof Error ? null : users[i] }))
    .filter(({ user }) => user?.active)
    .sort((a, b) => a.user!.displayName.localeCompare(b.user!.displayName, 'zh') || (a.row.agent_id < b.row.agent_id ? -1 : 1))
    .map(({ row }) => Object.assign(new AgentWorkload(), {
      agentId: row.agent_id,
      status: row.status ?? defaults.status,
      capacity: row.capacity ?? defaults.capacity,
      activeCount: row.active_count ?? defaults.activeCount,
      handledToday: row.handled_today,
      avgFirstResponseSeconds: row.avg_first_response,
      avgHandlingSeconds: row.avg_handling,
      avgRating: row.avg_rating,
      ratingCount: row.rating_count,
    }));
}

/** A query argument breaking a rule: BAD_USER_INPUT naming the field (queries have no userErrors). */
async function checkFilter(filter: ConversationFilter): Promise<void> {
  try {
    await validateInput(filter, ['filter']);
    if (filter.ratingMin != null && filter.ratingMax != null && filter.ratingMin > filter.ratingMax) {
      throw UserInputFailure.of(['filter', 'ratingMax'], 'ratingMax must not be below ratingMin', UserErrorCode.TOO_SMALL);
    }
    if (filter.createdAfter && filter.createdBefore && filter.createdAfter.getTime() > filter.createdBefore.getTime()) {
      throw UserInputFailure.of(['filter', 'createdBefore'], 'createdBefore must not come before createdAfter', UserErrorCode.DATE_OUT_OF_ORDER);
    }
  } catch (error) {
    if (!(error instanceof UserInputFailure)) throw error;
    throw new AppError('BAD_USER_INPUT', error.message, { field: error.userErrors[0].field, reason: error.userErrors[0].code });
  }
}

/**
 * Conversation records by condition (manager views): channel, agent, group, status, bot or human, rating, time,
 * text in messages; newest first, keyset-paginated. The agent and the text are sub-selects (over the assignment's
 * (agent, created_at) index and the trigram index of message contents), so a page stays one statement.
 */
export async function searchConversations(ctx: RequestContext, args: ConversationsArgs) {
  const filter = args.filter ?? undefined;
  const where: FilterQuery<Conversation>[] = [];
  if (filter) {
    await checkFilter(filter);
    if (filter.channelId != null) where.push({ channel: tryFromGlobalId(filter.channelId, 'Channel') ?? NO_ROW });
    if (filter.groupId != null) where.push({ group: tryFromGlobalId(filter.groupId, 'ServiceGroup') ?? NO_ROW });
    if (filter.status?.length) where.push({ status: { $in: filter.status } });
    if (filter.humanServed != null) where.push({ humanServed: filter.humanServed });
    if (filter.ratingMin != null) where.push({ ratingScore: { $gte: filter.ratingMin } });
    if (filter.ratingMax != null) where.push({ ratingScore: { $lte: filter.ratingMax } });
    if (filter.createdAfter) where.push({ createdAt: { $gte: filter.createdAfter } });
    if (filter.createdBefore) where.push({ createdAt: { $lt: filter.createdBefore } });
    if (filter.agentId != null) {
      // The ORM's query builder, with the workspace filter every ORM query has (a builder has it only when asked).
      const assigned = ctx.em.createQueryBuilder(Assignment, 'a').select('a.conversation').where({ agent: tryFromGlobalId(filter.agentId, 'User') ?? NO_ROW });
      await assigned.applyFilters();
      where.push({ id: { $in: assigned.getKnexQuery() as any } });
    }
    if (filter.text != null) {
      const containing = ctx.em.createQueryBuilder(Message, 'm').select('m.conversation').where({ content: { $ilike: `%${escapeLike(filter.text.trim())}%` } });
      await containing.applyFilters();
      where.push({ id: { $in: containing.getKnexQuery() as any } });
    }
  }
  return paginate(ctx.em, Conversation, where.length ? { $and: where } : {}, args, CONVERSATION_SORT.sortKey(args.sort));
}

/**
 * Visitors and conversations by channel and day, in the workspace's time zone (visitor analytics): a visitor
 * counts on a day when they viewed a page or started a conversation on the channel; days and channels with
 * neither are left out. One statement over page views and conversations of the period.
 */
export async function visitorCounts(ctx: RequestContext, from: string, to: string): Promise<VisitorCount[]> {
  if (from > to) throw new AppError('BAD_USER_INPUT', 'to must not come before from', { field: ['to'], reason: UserErrorCode.DATE_OUT_OF_ORDER });
  if (addDays(from, MAX_COUNT_DAYS - 1) < to) {
    throw new AppError('BAD_USER_INPUT', `At most ${MAX_COUNT_DAYS} days at once`, { field: ['to'], reason: UserErrorCode.TOO_LARGE });
  }
  const clock = await ctx.clock();
  const [start, end, zone] = [clock.startOf(from), clock.startOf(addDays(to, 1)), clock.timeZone];
  const rows = await workspaceSql(ctx)<{ day: string; channel_id: string; visitors: number; conversations: number }>`
    select to_char(day, 'YYYY-MM-DD') as day, channel_id, count(distinct visitor_id)::int as visitors, count(distinct conversation_id)::int as conversations
    from (
      select (p.viewed_at at time zone ${zone})::date as day, v.channel_id, p.visitor_id, null::uuid as conversation_id
      from page_view p join visitor v on v.workspace_id = p.workspace_id and v.id = p.visitor_id
      where p.workspace_id = ${WORKSPACE} and p.viewed_at >= ${start} and p.viewed_at < ${end}
      union all
      select (c.created_at at time zone ${zone})::date, c.channel_id, c.visitor_id, c.id
      from conversation c where c.workspace_id = ${WORKSPACE} and c.created_at >= ${start} and c.created_at < ${end}
    ) seen
    group by day, channel_id
    order by day, channel_id`;
  return rows.map((row) => Object.assign(new VisitorCount(), { date: row.day, channelId: row.channel_id, visitors: row.visitors, conversations: row.conversations }));
}
