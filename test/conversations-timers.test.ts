import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { conversationOf, setStatus, setUpDesk, startConversation } from './support/desk';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 8: the timed auto-replies are jobs in the database, so they survive a restart, and fire once
 * though two instances run job workers.
 */
let instanceA: TestServer;
let instanceB: TestServer;
beforeAll(async () => {
  instanceA = await startTestServer();
  instanceB = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName } });
});
afterAll(async () => {
  await instanceB?.stop();
  await instanceA?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

async function messagesOf(conversationId: string): Promise<Array<{ author_kind: string; kind: string; content: string }>> {
  const { rows } = await adminQuery(`select author_kind, kind, content from message where conversation_id = $1 order by seq`, instanceA.databaseName, [uuid(conversationId)]);
  return rows;
}

it('sends the queue-wait reply once, though both instances run job workers', async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'SEQUENTIAL', channel: { autoReplies: { queueWaitSeconds: 1, queueWaitMessage: '当前排队人数较多，请耐心等待' } } });
  const started = await startConversation(desk);
  expect(started.conversation.status).toBe('QUEUED');
  await eventually(async () => (await messagesOf(started.conversation.id)).some((m) => m.content === '当前排队人数较多，请耐心等待'));
  // Time for a second firing, were there one.
  await new Promise((r) => setTimeout(r, 2500));
  const replies = (await messagesOf(started.conversation.id)).filter((m) => m.content === '当前排队人数较多，请耐心等待');
  expect(replies).toEqual([{ author_kind: 'SYSTEM', kind: 'TEXT', content: '当前排队人数较多，请耐心等待' }]);
});

it('does not send it to a conversation assigned before the wait ended', async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'SEQUENTIAL', channel: { autoReplies: { queueWaitSeconds: 2, queueWaitMessage: '请稍候' } } });
  const started = await startConversation(desk);
  await setStatus(instanceB.url, desk.agents[0], 'ONLINE');
  expect((await conversationOf(desk, started.conversation.id)).status).toBe('ACTIVE');
  await new Promise((r) => setTimeout(r, 4000));
  expect((await messagesOf(started.conversation.id)).map((m) => m.content)).not.toContain('请稍候');
});

it('keeps a timer across a restart: set on a server that stops, fired by one started afterwards', async () => {
  const first = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName } });
  const desk = await setUpDesk(first.url, { agents: 1, rule: 'SEQUENTIAL', channel: { autoReplies: { queueWaitSeconds: 4, queueWaitMessage: '重启之后也会提醒' } } });
  // B and A would fire it too: stop them, so that only a server started after the restart can.
  await instanceA.stop();
  await instanceB.stop();
  const started = await startConversation(desk);
  await first.stop();
  expect((await messagesOf(started.conversation.id)).map((m) => m.content)).not.toContain('重启之后也会提醒');
  instanceA = await startTestServer({ database: { url: first.databaseUrl, name: first.databaseName } });
  instanceB = await startTestServer({ database: { url: first.databaseUrl, name: first.databaseName } });
  await eventually(async () => (await messagesOf(started.conversation.id)).some((m) => m.content === '重启之后也会提醒'));
  await new Promise((r) => setTimeout(r, 1500));
  expect((await messagesOf(started.conversation.id)).filter((m) => m.content === '重启之后也会提醒')).toHaveLength(1);
});

it("reminds a silent agent, then reassigns the conversation to another agent when the workspace enables it", async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 2, rule: 'SEQUENTIAL', channel: { autoReplies: { agentSilenceSeconds: 1, agentSilenceReminder: '客户已等待较久，请尽快回复' } } });
  const [a, b] = desk.agents;
  await adminQuery(
    `insert into conversation_settings (id, created_at, updated_at, workspace_id, rating_tags, reassign_after_silence_seconds) values (gen_random_uuid(), now(), now(), $1, '{}', 3)`,
    instanceA.databaseName, [uuid(desk.owner.workspaceId)],
  );
  for (const agent of [a, b]) await setStatus(instanceA.url, agent, 'ONLINE');
  const started = await startConversation(desk);
  expect(started.conversation.assignee?.id).toBe(a.userId);
  await eventually(async () => (await messagesOf(started.conversation.id)).some((m) => m.kind === 'NOTE' && m.content === '客户已等待较久，请尽快回复'));
  const moved = await eventually(async () => {
    const now = await conversationOf(desk, started.conversation.id);
    return now.assignee?.id === b.userId && now;
  });
  expect(moved.status).toBe('ACTIVE');
  const { rows } = await adminQuery(`select agent_id, active_count from agent_state where workspace_id = $1 order by active_count`, instanceA.databaseName, [uuid(desk.owner.workspaceId)]);
  expect(rows.map((r) => [r.agent_id, r.active_count])).toEqual([[uuid(a.userId), 0], [uuid(b.userId), 1]]);
});

it('does not remind an agent who answered in time', async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'SEQUENTIAL', channel: { autoReplies: { agentSilenceSeconds: 2, agentSilenceReminder: '请回复客户' } } });
  const [a] = desk.agents;
  await setStatus(instanceA.url, a, 'ONLINE');
  const started = await startConversation(desk);
  const answer = dataOf(await gql(instanceB.url, `mutation($input: MessageSendInput!) { messageSend(input: $input) { userErrors { code } } }`, {
    input: { conversationId: started.conversation.id, kind: 'TEXT', content: '亲，您好，马上为您查询' },
  }, a.token)).messageSend;
  expect(answer.userErrors).toEqual([]);
  await new Promise((r) => setTimeout(r, 4000));
  expect((await messagesOf(started.conversation.id)).map((m) => m.content)).not.toContain('请回复客户');
});

it('reminds the agent of a visitor who writes again after the answer, timed from that message', async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'SEQUENTIAL', channel: { autoReplies: { agentSilenceSeconds: 2, agentSilenceReminder: '客户又来消息了' } } });
  const [a] = desk.agents;
  await setStatus(instanceA.url, a, 'ONLINE');
  const started = await startConversation(desk);
  const send = async (token: string, content: string) => {
    const payload = dataOf(await gql(instanceB.url, `mutation($input: MessageSendInput!) { messageSend(input: $input) { userErrors { code } } }`, {
      input: { conversationId: started.conversation.id, kind: 'TEXT', content },
    }, token)).messageSend;
    expect(payload.userErrors).toEqual([]);
  };
  await send(a.token, '亲，您好，马上为您查询');
  // The answer stopped the first wait; this message starts a new one.
  await new Promise((r) => setTimeout(r, 2500));
  await send(started.visitorToken, '查到了吗？');
  const asked = Date.now();
  await eventually(async () => (await messagesOf(started.conversation.id)).some((m) => m.content === '客户又来消息了'), 15_000);
  expect(Date.now() - asked).toBeGreaterThanOrEqual(1500);
  const reminders = (await messagesOf(started.conversation.id)).filter((m) => m.content === '客户又来消息了');
  expect(reminders).toEqual([{ author_kind: 'SYSTEM', kind: 'NOTE', content: '客户又来消息了' }]);
});

it('queues no job for a desk that sets no timer (and has no bot)', async () => {
  const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'SEQUENTIAL', capacity: 1 });
  await setStatus(instanceA.url, desk.agents[0], 'ONLINE');
  const assigned = await startConversation(desk, { externalId: 'no-timer-1' });
  const queued = await startConversation(desk, { externalId: 'no-timer-2' });
  expect([assigned.conversation.status, queued.conversation.status]).toEqual(['ACTIVE', 'QUEUED']);
  await gql(instanceB.url, `mutation($input: MessageSendInput!) { messageSend(input: $input) { userErrors { code } } }`, {
    input: { conversationId: assigned.conversation.id, kind: 'TEXT', content: '还在吗？' },
  }, assigned.visitorToken);
  const { rows } = await adminQuery(`select name from pgboss.job where data->>'workspaceId' = $1`, instanceA.databaseName, [desk.owner.workspaceId]);
  expect(rows).toEqual([]);
});
