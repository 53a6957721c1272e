import pg from 'pg';
import { parseGlobalId } from '../src/graphql/global-id';
import { withDatabase } from '../src/db/embedded-postgres';
import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { setStatus, setUpDesk, startConversation } from './support/desk';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/server';

/**
 * Races around the one-statement assignment engine, found by a review (session 5), each staged with a lock held from
 * another connection: a change that waited for a group while another moved the conversation; a close serving room
 * that appeared without a drain (a reactivated agent); a visitor's start against an invitation (lock order).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
const CLOSE = `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { conversation { status assignee { id } queuePosition } userErrors { code } } }`;
const TRANSFER = `mutation($input: ConversationTransferInput!) { conversationTransfer(input: $input) { conversation { status assignee { id } } userErrors { code } } }`;

/** Waits until `count` backends of the database wait for a lock. */
async function waitForLockWaiters(database: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await adminQuery(`select count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`, 'postgres', [database]);
    if (rows[0].n >= count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${count} lock waiters`);
}

it('the close mutation answers the closed conversation without its agent', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
  await setStatus(server.url, desk.agents[0], 'ONLINE');
  const started = await startConversation(desk);
  expect(started.conversation.status).toBe('ACTIVE');
  const closed = dataOf(await gql(server.url, CLOSE, { input: { id: started.conversation.id } }, desk.owner.token)).conversationClose;
  expect(closed).toEqual({ conversation: { status: 'CLOSED', assignee: null, queuePosition: null }, userErrors: [] });
});

it('a close that waited for the group while a transfer queued the conversation frees no slot of the agent who left it', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
  const [a] = desk.agents;
  await setStatus(server.url, a, 'ONLINE');
  const started = await startConversation(desk);
  expect(started.conversation.assignee?.id).toBe(a.userId);
  // a steps away: nobody takes the conversation when it is transferred back to the group's queue.
  await setStatus(server.url, a, 'AWAY');

  // Hold the group's lock, so that the transfer and then the close wait for it, in that order.
  const holder = new pg.Client({ connectionString: withDatabase(process.env.TEST_POSTGRES_URL!, server.databaseName) });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from service_group where id = $1 for update', [uuid(desk.groupId)]);
  const transfer = gql(server.url, TRANSFER, { input: { id: started.conversation.id, toGroupId: desk.groupId } }, desk.owner.token);
  await waitForLockWaiters(server.databaseName, 1);
  const close = gql(server.url, CLOSE, { input: { id: started.conversation.id } }, desk.owner.token);
  await waitForLockWaiters(server.databaseName, 2);
  await holder.query('commit');
  await holder.end();

  expect(dataOf(await transfer).conversationTransfer).toEqual({ conversation: { status: 'QUEUED', assignee: null }, userErrors: [] });
  const closed = dataOf(await close).conversationClose;
  expect(closed.userErrors).toEqual([]);
  expect(closed.conversation.status).toBe('CLOSED');
  // activeCount equals the agent's ACTIVE conversations (none): the transfer freed the slot, the close must not again.
  const { rows } = await adminQuery(`select s.active_count, (select count(*)::int from conversation c where c.assignee_id = s.agent_id and c.status = 'ACTIVE') as active
    from agent_state s where s.agent_id = $1`, server.databaseName, [uuid(a.userId)]);
  expect(rows).toEqual([{ active_count: 0, active: 0 }]);
});

const USER_UPDATE = `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { user { version } userErrors { code } } }`;

/** Two ONLINE agents of capacity 1 (SEQUENTIAL: a first), the second (r) deactivated; `reactivate` makes r active again. */
async function deskWithDeactivatedAgent() {
  const desk = await setUpDesk(server.url, { agents: 2, rule: 'SEQUENTIAL', capacity: 1 });
  const [a, r] = desk.agents;
  await setStatus(server.url, a, 'ONLINE');
  await setStatus(server.url, r, 'ONLINE');
  const off = dataOf(await gql(server.url, USER_UPDATE, { input: { id: r.userId, version: 1, active: false } }, desk.owner.token)).userUpdate;
  expect(off.userErrors).toEqual([]);
  const reactivate = async () => {
    const on = dataOf(await gql(server.url, USER_UPDATE, { input: { id: r.userId, version: off.user.version, active: true } }, desk.owner.token)).userUpdate;
    expect(on.userErrors).toEqual([]);
  };
  return { desk, a, r, reactivate };
}

it('a close serves every waiting conversation an agent of the group has room for (a reactivated agent: room without a drain)', async () => {
  const { desk, a, reactivate } = await deskWithDeactivatedAgent();
  const first = await startConversation(desk);
  expect(first.conversation.assignee?.id).toBe(a.userId);
  const waiting = [await startConversation(desk), await startConversation(desk)];
  expect(waiting.map((w) => w.conversation.status)).toEqual(['QUEUED', 'QUEUED']);
  // r comes back (still ONLINE, with room).
  await reactivate();
  // a's close drains the group: both waiting conversations have an agent with room (a and r).
  const closed = dataOf(await gql(server.url, CLOSE, { input: { id: first.conversation.id } }, desk.owner.token)).conversationClose;
  expect(closed.userErrors).toEqual([]);
  const { rows } = await adminQuery(`select count(*)::int as n from conversation where workspace_id = $1 and status = 'QUEUED'`, server.databaseName, [uuid(desk.owner.workspaceId)]);
  expect(rows).toEqual([{ n: 0 }]);
});

it('a visitor starting a chat while an agent of the group invites them: no deadlock (the start locks the visitor before the group)', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
  const [agent] = desk.agents;
  await setStatus(server.url, agent, 'ONLINE');
  const PAGE_VIEW = `mutation($input: VisitorPageViewInput!) { visitorPageView(input: $input) { visitor { id } visitorToken userErrors { code } } }`;
  const browsing = dataOf(await gql(server.url, PAGE_VIEW, { input: { channelId: desk.channelId, widgetKey: desk.widgetKey, url: 'https://shop.example.com/item/1' } })).visitorPageView;
  const deadlocks = async () => Number((await adminQuery(`select deadlocks from pg_stat_database where datname = $1`, 'postgres', [server.databaseName])).rows[0].deadlocks);
  const before = await deadlocks();

  // The group's lock held: the invitation waits for it first, then the visitor's start.
  const holder = new pg.Client({ connectionString: withDatabase(process.env.TEST_POSTGRES_URL!, server.databaseName) });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from service_group where id = $1 for update', [uuid(desk.groupId)]);
  const invite = gql(server.url, `mutation($input: ConversationInviteInput!) { conversationInvite(input: $input) { conversation { id } userErrors { code } } }`, {
    input: { visitorId: browsing.visitor.id, message: '您好，需要帮忙吗？' },
  }, agent.token);
  await waitForLockWaiters(server.databaseName, 1);
  const start = gql(server.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { conversation { id } userErrors { code } } }`, {
    input: { channelId: desk.channelId, message: '在吗？' },
  }, browsing.visitorToken);
  await waitForLockWaiters(server.databaseName, 2);
  await holder.query('commit');
  await holder.end();
  const [invited, started] = [dataOf(await invite).conversationInvite, dataOf(await start).conversationStart];
  // One conversation either way (the invitation's, continued by the start; or the start's, the invitation refused).
  expect(started.userErrors).toEqual([]);
  await new Promise((r) => setTimeout(r, 600)); // pg_stat_database is updated by the backends after the fact
  expect({ deadlocks: (await deadlocks()) - before, invited: invited.userErrors.length <= 1 }).toEqual({ deadlocks: 0, invited: true });
});

it('a reactivated agent, still ONLINE with room, takes the waiting conversation without another change in the group', async () => {
  const { desk, a, r, reactivate } = await deskWithDeactivatedAgent();
  expect((await startConversation(desk)).conversation.assignee?.id).toBe(a.userId);
  const waiting = await startConversation(desk);
  expect(waiting.conversation.status).toBe('QUEUED');
  await reactivate();
  // Served by a reaction to the change, after it committed.
  const assignee = async () => (await adminQuery(`select assignee_id from conversation where id = $1`, server.databaseName, [uuid(waiting.conversation.id)])).rows[0].assignee_id;
  await eventually(async () => (await assignee()) === uuid(r.userId), 15_000);
});
