import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, errorCode, gql } from './support/client';
import { adminQuery } from './support/database';
import { createUserWithRole } from './support/fixtures';
import { closeConversation, conversationOf, createGroup, setCapacity, setStatus, setUpDesk, startConversation, type Agent, type Desk } from './support/desk';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 5 and 6: each assignment rule on a scenario whose right answer is worked out by hand in the test,
 * the reasons managers see, and the queue draining as capacity frees.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
/** Agents in the order the final tie-break (agent id) puts them. */
const byId = (agents: Agent[]) => [...agents].sort((a, b) => (uuid(a.userId) < uuid(b.userId) ? -1 : 1));

async function assigneeOfNext(desk: Desk, visitor: Record<string, unknown> = {}) {
  const started = await startConversation(desk, visitor);
  return { id: started.conversation.id, assignee: started.conversation.assignee?.id ?? null, status: started.conversation.status };
}

it('SEQUENTIAL: the first agent in the group order with free capacity takes it, so earlier agents get more', async () => {
  const desk = await setUpDesk(server.url, { agents: 3, rule: 'SEQUENTIAL', capacity: 2 });
  const [a, b, c] = desk.agents;
  // Online in reverse order: coming online does not matter to SEQUENTIAL, the group's order does.
  for (const agent of [c, b, a]) await setStatus(server.url, agent, 'ONLINE');
  const got = [];
  for (let i = 0; i < 6; i++) got.push((await assigneeOfNext(desk)).assignee);
  expect(got).toEqual([a.userId, a.userId, b.userId, b.userId, c.userId, c.userId]);
  const last = await conversationOf(desk, (await assigneeOfNext(desk)).id);
  expect(last).toMatchObject({ status: 'QUEUED', queuePosition: 1, assignee: null });
});

it('ROUND_ROBIN: in turn, agents ordered by the time they came online, wrapping around', async () => {
  const desk = await setUpDesk(server.url, { agents: 3, rule: 'ROUND_ROBIN', capacity: 5 });
  const [a, b, c] = desk.agents;
  for (const agent of [b, c, a]) await setStatus(server.url, agent, 'ONLINE');
  const got = [];
  for (let i = 0; i < 5; i++) got.push((await assigneeOfNext(desk)).assignee);
  expect(got).toEqual([b.userId, c.userId, a.userId, b.userId, c.userId]);
  // c goes offline and comes back: it is now the last to have come online, after a.
  await setStatus(server.url, c, 'OFFLINE');
  await setStatus(server.url, c, 'ONLINE');
  const next = [];
  for (let i = 0; i < 3; i++) next.push((await assigneeOfNext(desk)).assignee);
  // The cursor stood at c's old place (after b): a came online after b, then c (again).
  expect(next).toEqual([a.userId, c.userId, b.userId]);
  const reason = (await conversationOf(desk, (await assigneeOfNext(desk)).id)).assignment;
  expect(reason.rule).toBe('ROUND_ROBIN');
  expect(reason.reason.candidates).toHaveLength(3);
});

it('LEAST_LOAD: the fewest conversations in progress; ties to the longest since the last assignment, then by id', async () => {
  const desk = await setUpDesk(server.url, { agents: 3, rule: 'LEAST_LOAD', capacity: 5 });
  for (const agent of desk.agents) await setStatus(server.url, agent, 'ONLINE');
  const [x1, x2, x3] = byId(desk.agents);
  // All at 0 and never assigned: by id. Then all at 1: the one assigned longest ago (x1).
  const first = [];
  for (let i = 0; i < 4; i++) first.push(await assigneeOfNext(desk));
  expect(first.map((c) => c.assignee)).toEqual([x1.userId, x2.userId, x3.userId, x1.userId]);
  // x2 closes its conversation: it alone has the fewest in progress (0), though x3 waited longer.
  await closeConversation(server.url, x2.token, first[1].id);
  const fifth = await assigneeOfNext(desk);
  expect(fifth.assignee).toBe(x2.userId);
  const { assignment } = await conversationOf(desk, fifth.id);
  expect(assignment.rule).toBe('LEAST_LOAD');
  expect(assignment.reason.summary).toContain('0 in progress');
  expect(assignment.reason.tieBreak).toBeNull();
  const tied = await conversationOf(desk, first[3].id);
  expect(tied.assignment.reason.tieBreak).toContain('longest since their last assignment');
  expect(tied.assignment.reason.candidates.map((c: any) => c.activeCount)).toEqual([1, 1, 1]);
});

it('FILL_UP: the fewest handled today, whatever they hold now', async () => {
  const desk = await setUpDesk(server.url, { agents: 2, rule: 'FILL_UP', capacity: 5 });
  const [a, b] = desk.agents;
  await setStatus(server.url, a, 'ONLINE');
  const early = [await assigneeOfNext(desk), await assigneeOfNext(desk)];
  expect(early.map((c) => c.assignee)).toEqual([a.userId, a.userId]);
  for (const c of early) await closeConversation(server.url, a.token, c.id);
  await setStatus(server.url, b, 'ONLINE');
  // a: 0 in progress, 2 handled today; b: 0 and 0. FILL_UP gives b two (LEAST_LOAD would alternate), then the tie
  // at 2 each goes to a, whose last assignment is the older.
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await assigneeOfNext(desk)).assignee);
  expect(got).toEqual([b.userId, b.userId, a.userId]);
});

it('returning customer first: back to the agent who served them when online with room, else the group rule', async () => {
  const desk = await setUpDesk(server.url, { agents: 2, rule: 'SEQUENTIAL', returningCustomerFirst: true, capacity: 2 });
  const [a, b] = desk.agents;
  await setStatus(server.url, b, 'ONLINE');
  const visitor = { externalId: 'openid-回头客', name: '王女士' };
  const firstVisit = await assigneeOfNext(desk, visitor);
  expect(firstVisit.assignee).toBe(b.userId);
  await closeConversation(server.url, b.token, firstVisit.id);
  await setStatus(server.url, a, 'ONLINE');
  // SEQUENTIAL alone would pick a (first in order); the returning customer goes back to b.
  const again = await assigneeOfNext(desk, visitor);
  expect(again.assignee).toBe(b.userId);
  expect((await conversationOf(desk, again.id)).assignment.rule).toBe('RETURNING_CUSTOMER');
  // b full: the group's rule applies.
  await assigneeOfNext(desk, { externalId: 'someone-else' }); // a (SEQUENTIAL)
  await setCapacity(server.url, desk.owner.token, b.userId, 1);
  await closeConversation(server.url, desk.owner.token, again.id);
  const other = await assigneeOfNext(desk, { externalId: 'third' }); // a again (first in order, 1 of 2)
  expect(other.assignee).toBe(a.userId);
  const third = await assigneeOfNext(desk, visitor);
  // b has room (0 of 1): back to b.
  expect(third.assignee).toBe(b.userId);
  const fourth = await assigneeOfNext(desk, { externalId: 'fourth' });
  expect(fourth.status).toBe('QUEUED');
});

it('advanced routing: the first matching rule picks the group, otherwise the channel default group', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', capacity: 5 });
  const [presales] = desk.agents;
  const afterSales = await createUserWithRole(server.url, desk.owner.token, 'AGENT');
  const afterSalesGroup = await createGroup(server.url, desk.owner.token, { name: '售后组', assignmentRule: 'LEAST_LOAD', memberIds: [afterSales.userId] });
  const rule = dataOf(await gql(server.url, `mutation($input: RoutingRuleCreateInput!) { routingRuleCreate(input: $input) { routingRule { id } userErrors { field code } } }`, {
    input: { name: '退货走售后', position: 1, conditions: { sourceKeywords: ['退货', '退款'] }, targetGroupId: afterSalesGroup },
  }, desk.owner.token)).routingRuleCreate;
  expect(rule.userErrors).toEqual([]);
  for (const agent of [presales, afterSales]) await setStatus(server.url, agent, 'ONLINE');
  const routed = await startConversation(desk, {}, { sourceKeyword: '连衣裙 怎么退货' });
  expect(routed.conversation.assignee?.id).toBe(afterSales.userId);
  const plain = await startConversation(desk, {}, { sourceKeyword: '连衣裙 夏季' });
  expect(plain.conversation.assignee?.id).toBe(presales.userId);
});

it('queues in arrival order with positions and assigns the moment capacity frees, with no sweep', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'LEAST_LOAD', capacity: 2, channel: { autoReplies: { greeting: '您好，欢迎光临！', noAgentOnline: '客服暂时不在线，请稍候' } } });
  const [agent] = desk.agents;
  const waiting = [];
  for (let i = 0; i < 3; i++) waiting.push(await startConversation(desk));
  expect(waiting.map((w) => [w.conversation.status, w.conversation.queuePosition])).toEqual([['QUEUED', 1], ['QUEUED', 2], ['QUEUED', 3]]);
  // Coming online serves the queue in the same request: the first two, in arrival order.
  const state = await setStatus(server.url, agent, 'ONLINE');
  expect(state.activeCount).toBe(2);
  const states = await Promise.all(waiting.map((w) => conversationOf(desk, w.conversation.id)));
  expect(states.map((s) => [s.status, s.queuePosition])).toEqual([['ACTIVE', null], ['ACTIVE', null], ['QUEUED', 1]]);
  // A close frees a slot: the third is assigned in the close's own transaction.
  await closeConversation(server.url, agent.token, waiting[0].conversation.id);
  expect(await conversationOf(desk, waiting[2].conversation.id)).toMatchObject({ status: 'ACTIVE', assignee: { id: agent.userId } });
  // More capacity serves the queue too.
  const fourth = await startConversation(desk);
  expect(fourth.conversation.status).toBe('QUEUED');
  await setCapacity(server.url, desk.owner.token, agent.userId, 3);
  expect((await conversationOf(desk, fourth.conversation.id)).status).toBe('ACTIVE');
  // The greeting, and "no agent online" while nobody was.
  const { rows } = await adminQuery(`select author_kind, content from message where conversation_id = $1 order by seq`, server.databaseName, [uuid(waiting[0].conversation.id)]);
  expect(rows).toEqual([
    { author_kind: 'VISITOR', content: '你好，在吗？' },
    { author_kind: 'SYSTEM', content: '您好，欢迎光临！' },
    { author_kind: 'SYSTEM', content: '客服暂时不在线，请稍候' },
  ]);
});

it('BOT_FIRST without a bot: the visitor goes to a human at once', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', channel: { receptionMode: 'BOT_FIRST', autoReplies: { greeting: '您好，欢迎光临' } } });
  await setStatus(server.url, desk.agents[0], 'ONLINE');
  const started = await startConversation(desk);
  expect(started.conversation).toMatchObject({ status: 'ACTIVE', assignee: { id: desk.agents[0].userId } });
  // Without a bot no bot job is queued (and the channel sets no timer: no job at all).
  const { rows } = await adminQuery(
    `select name, data->>'reaction' as reaction from pgboss.job where data->'event'->'refs'->>'conversationId' = $1 or data->>'conversationId' = $1`,
    server.databaseName, [uuid(started.conversation.id)],
  );
  expect(rows).toEqual([]);
});

it('shows the assignment reason to managers only', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'LEAST_LOAD' });
  const [agent] = desk.agents;
  await setStatus(server.url, agent, 'ONLINE');
  const started = await startConversation(desk);
  const asAgent = await gql(server.url, `query($id: ID!) { conversation(id: $id) { status assignment { rule } } }`, { id: started.conversation.id }, agent.token);
  expect(asAgent.data?.conversation).toEqual({ status: 'ACTIVE', assignment: null });
  expect(errorCode(asAgent)).toBe('FORBIDDEN');
  expect((await conversationOf(desk, started.conversation.id)).assignment.rule).toBe('LEAST_LOAD');
});

describe('bad input changes nothing', () => {
  it('refuses a capacity below zero, a transfer to an offline agent, and closing twice', async () => {
    const desk = await setUpDesk(server.url, { agents: 2, rule: 'SEQUENTIAL' });
    const [a, b] = desk.agents;
    await setStatus(server.url, a, 'ONLINE');
    const negative = dataOf(await gql(server.url, `mutation { agentCapacitySet(input: { userId: "${a.userId}", capacity: -1 }) { agentState { capacity } userErrors { field code } } }`, {}, desk.owner.token)).agentCapacitySet;
    expect(negative).toEqual({ agentState: null, userErrors: [{ field: ['input', 'capacity'], code: 'TOO_SMALL' }] });
    const started = await startConversation(desk);
    const transfer = dataOf(await gql(server.url, `mutation($input: ConversationTransferInput!) { conversationTransfer(input: $input) { conversation { id } userErrors { field code } } }`, {
      input: { id: started.conversation.id, toAgentId: b.userId },
    }, a.token)).conversationTransfer;
    expect(transfer).toEqual({ conversation: null, userErrors: [{ field: ['input', 'toAgentId'], code: 'AGENT_UNAVAILABLE' }] });
    expect(await conversationOf(desk, started.conversation.id)).toMatchObject({ status: 'ACTIVE', assignee: { id: a.userId } });
    await closeConversation(server.url, a.token, started.conversation.id);
    const again = dataOf(await gql(server.url, `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { userErrors { code } } }`, { input: { id: started.conversation.id } }, a.token)).conversationClose;
    expect(again.userErrors).toEqual([{ code: 'ALREADY_DONE' }]);
    const { rows } = await adminQuery(`select active_count, capacity from agent_state where agent_id = $1`, server.databaseName, [uuid(a.userId)]);
    expect(rows).toEqual([{ active_count: 0, capacity: 5 }]);
  });

  it('transfers to an online agent with room, freeing the first agent', async () => {
    const desk = await setUpDesk(server.url, { agents: 2, rule: 'SEQUENTIAL' });
    const [a, b] = desk.agents;
    for (const agent of [a, b]) await setStatus(server.url, agent, 'ONLINE');
    const started = await startConversation(desk);
    const moved = dataOf(await gql(server.url, `mutation($input: ConversationTransferInput!) { conversationTransfer(input: $input) { conversation { status assignee { id } } userErrors { code } } }`, {
      input: { id: started.conversation.id, toAgentId: b.userId, note: '客户要退货，请跟进' },
    }, a.token)).conversationTransfer;
    expect(moved).toEqual({ conversation: { status: 'ACTIVE', assignee: { id: b.userId } }, userErrors: [] });
    expect((await conversationOf(desk, started.conversation.id)).assignment.rule).toBe('TRANSFER');
    const { rows } = await adminQuery(`select agent_id, active_count from agent_state where workspace_id = $1 order by active_count`, server.databaseName, [uuid(desk.owner.workspaceId)]);
    expect(rows.map((r) => [r.agent_id, r.active_count])).toEqual([[uuid(a.userId), 0], [uuid(b.userId), 1]]);
  });
});

describe('visitors', () => {
  it('the widget starts anonymously with the widget key; the visitor token reads and closes only its own conversation', async () => {
    const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
    const mine = await startConversation(desk, { externalId: 'v-1' }, {}, '你好', true);
    const theirs = await startConversation(desk, { externalId: 'v-2' }, {}, '你好', true);
    expect(mine.visitorToken).toMatch(/^gt_/);
    const read = await gql(server.url, `query($id: ID!) { conversation(id: $id) { id status } }`, { id: mine.conversation.id }, mine.visitorToken);
    expect(read.data?.conversation).toEqual({ id: mine.conversation.id, status: 'QUEUED' });
    const other = await gql(server.url, `query($id: ID!) { conversation(id: $id) { id } }`, { id: theirs.conversation.id }, mine.visitorToken);
    expect(other.data?.conversation).toBeNull();
    const closeOther = dataOf(await gql(server.url, `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { userErrors { code } } }`, { input: { id: theirs.conversation.id } }, mine.visitorToken)).conversationClose;
    expect(closeOther.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    // A second start from the same visitor continues the open conversation.
    const again = dataOf(await gql(server.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { conversation { id } userErrors { code } } }`, {
      input: { channelId: desk.channelId, message: '还在吗' },
    }, mine.visitorToken)).conversationStart;
    expect(again).toEqual({ conversation: { id: mine.conversation.id }, userErrors: [] });
  });

  it('refuses a wrong widget key, and identifies a returning shopper as one customer', async () => {
    const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
    const wrong = await gql(server.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { conversation { id } } }`, {
      input: { channelId: desk.channelId, widgetKey: 'wk_not-the-key', message: '你好' },
    });
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
    await startConversation(desk, { phone: '138 1234 5678', name: '李先生' });
    await startConversation(desk, { phone: '+86 13812345678' });
    const { rows } = await adminQuery(`select name, phone from customer where workspace_id = $1`, server.databaseName, [uuid(desk.owner.workspaceId)]);
    expect(rows).toEqual([{ name: '李先生', phone: '13812345678' }]);
  });
});
