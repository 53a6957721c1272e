import { assignmentViolations, queueOrderViolations, type QueuedStart } from '../bench/assignment-invariants';
import { parseGlobalId, toGlobalId } from '../src/graphql/global-id';
import { dataOf, gql } from './support/client';
import { adminQuery, waitForEventListeners } from './support/database';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { createGroup, setCapacity, setStatus, STARTED_FIELDS, type Agent } from './support/desk';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 7: the assignment engine stays correct with two server instances on one database and bursts of
 * simultaneous starts and closes, while agents go AWAY and come back and capacities change. The invariants are
 * checked from the database afterwards (bench/assignment-invariants.ts, shared with bench:assignments).
 */
let instanceA: TestServer;
let instanceB: TestServer;
beforeAll(async () => {
  instanceA = await startTestServer();
  instanceB = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName } });
  await waitForEventListeners(instanceA.databaseName, 2);
});
afterAll(async () => {
  await instanceB?.stop();
  await instanceA?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
const START = `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { ${STARTED_FIELDS} } }`;
const CLOSE = `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { conversation { status } userErrors { code message } } }`;

/** Runs `count` tasks, `width` at a time. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await task(next++);
  }));
}

it('holds every invariant after hundreds of concurrent starts and closes on two instances, with status and capacity changes', async () => {
  const urls = [instanceA.url, instanceB.url];
  const owner = await signUpWorkspace(instanceA.url, '并发小店');
  const workspaceId = uuid(owner.workspaceId);
  const agents: Agent[] = [];
  for (let i = 0; i < 8; i++) agents.push(await createUserWithRole(urls[i % 2], owner.token, 'AGENT'));
  // Three groups sharing agents (a3, a4 in the first two, a0 in the first and third, a5, a6 in the last two).
  const groupMembers = [[0, 1, 2, 3, 4], [3, 4, 5, 6], [0, 5, 6, 7]];
  const rules = ['LEAST_LOAD', 'ROUND_ROBIN', 'SEQUENTIAL'];
  const channelIds: string[] = [];
  for (const [g, members] of groupMembers.entries()) {
    const groupId = await createGroup(instanceA.url, owner.token, { name: `组${g}`, assignmentRule: rules[g], returningCustomerFirst: g === 0, memberIds: members.map((m) => agents[m].userId) });
    const channel = dataOf(await gql(instanceA.url, `mutation($input: ChannelCreateInput!) { channelCreate(input: $input) { channel { id } userErrors { message } } }`, {
      input: { name: `渠道${g}`, type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: groupId },
    }, owner.token)).channelCreate;
    channelIds.push(channel.channel.id);
  }
  for (const [i, agent] of agents.entries()) {
    await setCapacity(instanceA.url, owner.token, agent.userId, 2 + (i % 3));
    await setStatus(urls[i % 2], agent, 'ONLINE');
  }

  // Visitors come back: 10 per channel, each starting again and again (a start while their conversation is open
  // continues it; after it closed, a new one begins). Only a visitor's first start creates a customer, which takes the
  // workspace's customer-number counter (one at a time per workspace): the burst exercises the assignment engine.
  const STARTS = 200;
  const VISITORS_PER_CHANNEL = 10;
  const firstQueued = new Map<string, number>();
  let closed = 0;
  let startsDone = false;
  const starts = inParallel(STARTS, 8, async (i) => {
    const channel = i % 3;
    const payload = dataOf(await gql(urls[i % 2], START, {
      input: { channelId: channelIds[channel], visitor: { externalId: `c${channel}-v${Math.floor(i / 3) % VISITORS_PER_CHANNEL}` }, message: `第${i}次：在吗？` },
    }, owner.token)).conversationStart;
    expect(payload.userErrors).toEqual([]);
    const id = uuid(payload.conversation.id);
    if (payload.conversation.status === 'QUEUED' && !firstQueued.has(id)) firstQueued.set(id, Date.now());
  }).finally(() => {
    startsDone = true;
  });
  // Closers: close ACTIVE conversations picked at random, on either instance, until the starts are done (two closers
  // may pick the same one: one closes it, the other is told it is closed already).
  const closers = Promise.all(Array.from({ length: 4 }, async (_, worker) => {
    while (!startsDone) {
      const { rows } = await adminQuery(`select id from conversation where workspace_id = $1 and status = 'ACTIVE' order by random() limit 1`, instanceA.databaseName, [workspaceId]);
      if (!rows.length) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const payload = dataOf(await gql(urls[worker % 2], CLOSE, { input: { id: toGlobalId('Conversation', rows[0].id) } }, owner.token)).conversationClose;
      if (payload.userErrors.length) expect(payload.userErrors[0].code).toBe('ALREADY_DONE');
      else closed += 1;
    }
  }));
  // Mid-burst: two agents go AWAY and come back, one gets more room, one gets less (it may then hold more than its
  // new capacity until it closes some: the capacity check leaves it out).
  const changes = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([setStatus(urls[0], agents[3], 'AWAY'), setStatus(urls[1], agents[5], 'AWAY')]);
    await setCapacity(urls[1], owner.token, agents[1].userId, 4);
    await setCapacity(urls[0], owner.token, agents[6].userId, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([setStatus(urls[1], agents[3], 'ONLINE'), setStatus(urls[0], agents[5], 'ONLINE')]);
  })();
  await Promise.all([starts, closers, changes]);

  const { rows: [counts] } = await adminQuery(`
    select count(*)::int as conversations, (select count(*)::int from assignment where workspace_id = $1) as assignments
    from conversation where workspace_id = $1`, instanceA.databaseName, [workspaceId]);
  // The burst did what it is for: queues formed and drained, agents filled and freed.
  const queued: QueuedStart[] = [...firstQueued].map(([id, answeredAt]) => ({ id, answeredAt }));
  expect(counts.conversations).toBeGreaterThan(80);
  expect(queued.length).toBeGreaterThan(15);
  expect(closed).toBeGreaterThan(40);
  expect(counts.assignments).toBeGreaterThan(closed);

  const query = (sql: string, params: unknown[]) => adminQuery(sql, instanceA.databaseName, params);
  const violations = await assignmentViolations(query, workspaceId, { capacityLowered: [uuid(agents[6].userId)] });
  expect(violations).toEqual({ assignedTwice: [], openAssignmentMismatch: [], overCapacity: [], counterDrift: [], slotsNotFreedOnce: [], closedStillAssigned: [], skipped: [] });
  // Conversations that queued were served in each group's arrival order.
  expect(await queueOrderViolations(query, workspaceId, queued)).toEqual([]);

  // The checks see what they look for: one agent's counter off by one, one conversation given twice, one queued
  // conversation served while an earlier one (answered before) waits.
  const db = instanceA.databaseName;
  const { rows: [agentRow] } = await adminQuery(`select agent_id from agent_state where workspace_id = $1 order by agent_id limit 1`, db, [workspaceId]);
  await adminQuery(`update agent_state set active_count = active_count + 1 where agent_id = $1`, db, [agentRow.agent_id]);
  const { rows: [active] } = await adminQuery(`select id from conversation where workspace_id = $1 and status = 'ACTIVE' limit 1`, db, [workspaceId]);
  await adminQuery(`insert into assignment (id, created_at, updated_at, workspace_id, conversation_id, agent_id, group_id, rule, reason)
    select gen_random_uuid(), now(), now(), workspace_id, conversation_id, agent_id, group_id, rule, reason from assignment where conversation_id = $1 and ended_at is null`, db, [active.id]);
  const broken = await assignmentViolations(query, workspaceId);
  expect(broken.counterDrift.map((r) => r.agent_id)).toEqual([agentRow.agent_id]);
  expect(broken.assignedTwice.map((r) => r.conversation_id)).toEqual([active.id]);
  const { rows: [pair] } = await adminQuery(`select l.id as later, min(a.created_at) as assigned, (select e.id from conversation e
      where e.id = any($1::uuid[]) and e.group_id = l.group_id and e.id <> l.id limit 1) as earlier
    from conversation l join assignment a on a.conversation_id = l.id where l.id = any($1::uuid[])
    group by l.id having (select count(*) from conversation e where e.id = any($1::uuid[]) and e.group_id = l.group_id) > 1 limit 1`, db, [queued.map((q) => q.id)]);
  const [earlier, later] = [{ id: pair.earlier, answeredAt: 0 }, { id: pair.later, answeredAt: 0 }];
  await adminQuery(`update conversation set created_at = $2::timestamptz - interval '1 hour' where id = $1`, db, [earlier.id, pair.assigned]);
  await adminQuery(`update assignment set created_at = $2::timestamptz + interval '1 second' where conversation_id = $1`, db, [earlier.id, pair.assigned]);
  expect(await queueOrderViolations(query, workspaceId, [earlier, later])).toEqual([{ ahead: earlier.id, served: later.id }]);
}, 180_000);
