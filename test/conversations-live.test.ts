import pg from 'pg';
import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, gql, subscribe, type Subscription } from './support/client';
import { adminQuery } from './support/database';
import { closeConversation, createGroup, setStatus, setUpDesk, startConversation, type Desk } from './support/desk';
import { signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 14 (and the live halves of points 3 and 9): subscriptions over real graphql-ws clients on instance
 * B while the changes are made through instance A, both on one database. Each stream starts from the workspace's
 * latest event position (`after`), so nothing depends on when a subscription is registered.
 */
let instanceA: TestServer;
let instanceB: TestServer;
const streams: Array<Subscription<any>> = [];

beforeAll(async () => {
  instanceA = await startTestServer();
  instanceB = await startTestServer({ database: { url: instanceA.databaseUrl, name: instanceA.databaseName } });
});
afterAll(async () => {
  await Promise.all(streams.map((s) => s.close()));
  await instanceB?.stop();
  await instanceA?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

/** The workspace's latest event position: a stream that resumes from it misses nothing that follows. */
async function latestPosition(desk: Desk): Promise<string> {
  const { rows } = await adminQuery(`select max(position)::text as p from domain_event where workspace_id = $1`, instanceA.databaseName, [uuid(desk.owner.workspaceId)]);
  return rows[0].p;
}

/** A subscription on instance B. */
function follow<T = any>(query: string, token: string, variables: Record<string, unknown>): Subscription<T> {
  const stream = subscribe<T>(instanceB.wsUrl, query, token, variables);
  streams.push(stream);
  return stream;
}

/** The next `count` events' data (failing on an error). */
async function take<T>(stream: Subscription<T>, count: number): Promise<T[]> {
  const got: T[] = [];
  for (let i = 0; i < count; i++) {
    const event = await stream.next(15_000);
    expect(event.errors).toBeUndefined();
    got.push(event.data!);
  }
  return got;
}

/** No further event within a short while (after a later event already arrived elsewhere: not a timing guess about delivery). */
async function nothingMore(stream: Subscription<unknown>, ms = 300) {
  await expect(stream.next(ms)).rejects.toThrow(/no subscription event/);
}

const SEND = `mutation($input: MessageSendInput!) { messageSend(input: $input) { message { id } userErrors { code } } }`;
async function send(token: string, conversationId: string, kind: string, content: string) {
  const result = dataOf(await gql(instanceA.url, SEND, { input: { conversationId, kind, content } }, token)).messageSend;
  expect(result.userErrors).toEqual([]);
}

const MESSAGE_ADDED = `subscription($conversationId: ID!, $after: String) { messageAdded(conversationId: $conversationId, after: $after) {
  position topic message { seq kind content authorKind } } }`;

describe('messageAdded', () => {
  it('resuming after a position its instance has not read yet, gets nothing at or before it', async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const [agent] = desk.agents;
    await setStatus(instanceA.url, agent, 'ONLINE');
    const { conversation } = await startConversation(desk, {}, {}, '你好', true);
    // An open transaction with an id holds every reader behind it: what commits after it waits, unread by B.
    const blocker = new pg.Client({ connectionString: instanceA.databaseUrl });
    await blocker.connect();
    let stream: Subscription<any>;
    try {
      await blocker.query('begin');
      await blocker.query('select pg_current_xact_id()');
      await send(agent.token, conversation.id, 'TEXT', '第一条');
      await send(agent.token, conversation.id, 'TEXT', '第二条');
      // The client saw the second message elsewhere (instance A's answer, another tab) and resumes after it on B.
      stream = follow(MESSAGE_ADDED, agent.token, { conversationId: conversation.id, after: await latestPosition(desk) });
      // Time for B to take the subscription while its reader still stands behind both messages.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    await send(agent.token, conversation.id, 'TEXT', '第三条');
    const [next] = await take(stream!, 1);
    expect(next.messageAdded.message.content).toBe('第三条');
  });

  it("reaches the conversation's agent and visitor on the other instance; the visitor never gets notes nor another visitor's messages; resumes with after", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const [agent] = desk.agents;
    await setStatus(instanceA.url, agent, 'ONLINE');
    const mine = await startConversation(desk, {}, {}, '你好', true);
    const theirs = await startConversation(desk, {}, {}, '在吗', true);
    const after = await latestPosition(desk);
    const asVisitor = follow(MESSAGE_ADDED, mine.visitorToken, { conversationId: mine.conversation.id, after });
    const asAgent = follow(MESSAGE_ADDED, agent.token, { conversationId: mine.conversation.id, after });
    const otherVisitor = follow(MESSAGE_ADDED, theirs.visitorToken, { conversationId: theirs.conversation.id, after });

    await send(agent.token, mine.conversation.id, 'TEXT', '您好');
    await send(agent.token, mine.conversation.id, 'NOTE', '老客户，注意语气');
    await send(mine.visitorToken, mine.conversation.id, 'TEXT', '我要退货');
    await send(agent.token, theirs.conversation.id, 'TEXT', '请稍等');

    const agentSaw = (await take(asAgent, 3)).map((e: any) => [e.messageAdded.message.kind, e.messageAdded.message.content]);
    expect(agentSaw).toEqual([['TEXT', '您好'], ['NOTE', '老客户，注意语气'], ['TEXT', '我要退货']]);
    const visitorSaw = await take(asVisitor, 2);
    expect(visitorSaw.map((e: any) => [e.messageAdded.message.seq, e.messageAdded.message.content])).toEqual([[2, '您好'], [4, '我要退货']]);
    expect((await take(otherVisitor, 1))[0]).toMatchObject({ messageAdded: { message: { content: '请稍等' } } });
    await nothingMore(asVisitor);
    await nothingMore(otherVisitor);

    // The visitor goes away; what was sent meanwhile comes first when they resume from their last position.
    const lastSeen = (visitorSaw[1] as any).messageAdded.position;
    await asVisitor.close();
    await send(agent.token, mine.conversation.id, 'NOTE', '他离开了');
    await send(agent.token, mine.conversation.id, 'TEXT', '还在吗？');
    const resumed = follow(MESSAGE_ADDED, mine.visitorToken, { conversationId: mine.conversation.id, after: lastSeen });
    expect((await take(resumed, 1))[0]).toMatchObject({ messageAdded: { message: { content: '还在吗？', authorKind: 'AGENT' } } });
    await send(mine.visitorToken, mine.conversation.id, 'TEXT', '在');
    expect((await take(resumed, 1))[0]).toMatchObject({ messageAdded: { message: { content: '在' } } });
  });

  it("refuses to start on another visitor's conversation or another workspace's (NOT_FOUND, like an unknown id)", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const mine = await startConversation(desk, {}, {}, '你好', true);
    const theirs = await startConversation(desk, {}, {}, '你好', true);
    const stranger = await signUpWorkspace(instanceA.url, '别家店');
    for (const [token, id] of [[mine.visitorToken, theirs.conversation.id], [stranger.token, mine.conversation.id], [mine.visitorToken, 'nonsense']]) {
      const stream = follow(MESSAGE_ADDED, token, { conversationId: id });
      const event = await stream.next(10_000);
      expect(event.errors?.[0]?.extensions?.code ?? event.errors?.[0]?.message).toMatch(/NOT_FOUND|not found/);
    }
  });
});

const CONVERSATION_UPDATED = `subscription($id: ID!, $after: String) { conversationUpdated(id: $id, after: $after) {
  position topic conversation { id status visitorReadSeq agentReadSeq } } }`;

describe('conversationUpdated and read receipts', () => {
  it("sends every change of the conversation to its agent and visitor: read marks (forward only), close", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const [agent] = desk.agents;
    await setStatus(instanceA.url, agent, 'ONLINE');
    const started = await startConversation(desk, {}, {}, '你好', true);
    const id = started.conversation.id;
    await send(agent.token, id, 'TEXT', '您好');
    const after = await latestPosition(desk);
    const asAgent = follow(CONVERSATION_UPDATED, agent.token, { id, after });
    const asVisitor = follow(CONVERSATION_UPDATED, started.visitorToken, { id, after });
    const markRead = async (token: string, seq: number) =>
      dataOf(await gql(instanceA.url, `mutation($input: ConversationMarkReadInput!) { conversationMarkRead(input: $input) {
        conversation { visitorReadSeq agentReadSeq } userErrors { field code } } }`, { input: { id, seq } }, token)).conversationMarkRead;
    expect(await markRead(started.visitorToken, 2)).toEqual({ conversation: { visitorReadSeq: 2, agentReadSeq: 0 }, userErrors: [] });
    // Backwards: no change, no event.
    expect(await markRead(started.visitorToken, 1)).toEqual({ conversation: { visitorReadSeq: 2, agentReadSeq: 0 }, userErrors: [] });
    expect(await markRead(agent.token, 1)).toEqual({ conversation: { visitorReadSeq: 2, agentReadSeq: 1 }, userErrors: [] });
    expect((await markRead(agent.token, 9)).userErrors).toEqual([{ field: ['input', 'seq'], code: 'TOO_LARGE' }]);
    expect((await markRead(agent.token, 0)).userErrors).toEqual([{ field: ['input', 'seq'], code: 'TOO_SMALL' }]);
    const stranger = await startConversation(desk, {}, {}, '你好', true);
    expect((await markRead(stranger.visitorToken, 1)).userErrors).toEqual([{ field: ['input', 'id'], code: 'NOT_FOUND' }]);
    await closeConversation(instanceA.url, agent.token, id);
    for (const stream of [asAgent, asVisitor]) {
      // Each is read when sent (so an early one may already show the close): topics in order, the last one closed.
      const events = (await take(stream, 3)).map((e: any) => e.conversationUpdated);
      expect(events.map((e) => e.topic)).toEqual(['conversations.conversationRead', 'conversations.conversationRead', 'conversations.conversationClosed']);
      expect(events[2].conversation).toEqual({ id, status: 'CLOSED', visitorReadSeq: 2, agentReadSeq: 1 });
    }
    const { rows } = await adminQuery(`select refs->>'reader' as reader from domain_event where subject_id = $1 and topic = 'conversations.conversationRead' order by position`, instanceA.databaseName, [uuid(id)]);
    expect(rows.map((r) => r.reader)).toEqual(['VISITOR', 'AGENT']);
  });
});

const QUEUE_UPDATED = `subscription($groupId: ID!, $after: String) { queueUpdated(groupId: $groupId, after: $after) {
  topic conversation { id status } queue { length oldestQueuedAt longestWaitSeconds } } }`;

describe('queueUpdated', () => {
  it("follows a group's queue growing and draining, with its length and longest wait; managers of other shops and visitors cannot follow it", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD', capacity: 1 });
    const [agent] = desk.agents;
    const after = await latestPosition(desk);
    const queue = follow(QUEUE_UPDATED, agent.token, { groupId: desk.groupId, after });
    const first = await startConversation(desk);
    const second = await startConversation(desk);
    await setStatus(instanceA.url, agent, 'ONLINE');
    // Events are read when delivered, so a summary shows the queue as it is then: ask in order, check the last.
    const events = (await take(queue, 3)).map((e: any) => e.queueUpdated);
    expect(events.map((e) => [e.topic, e.conversation.id])).toEqual([
      ['conversations.conversationQueued', first.conversation.id],
      ['conversations.conversationQueued', second.conversation.id],
      ['conversations.conversationAssigned', first.conversation.id],
    ]);
    await closeConversation(instanceA.url, agent.token, first.conversation.id);
    const drained = (await take(queue, 2)).map((e: any) => e.queueUpdated);
    expect(drained.map((e) => [e.topic, e.conversation.id])).toEqual([
      ['conversations.conversationClosed', first.conversation.id],
      ['conversations.conversationAssigned', second.conversation.id],
    ]);
    expect(drained[1].queue).toEqual({ length: 0, oldestQueuedAt: null, longestWaitSeconds: null });

    const third = await startConversation(desk);
    const queued = (await take(queue, 1))[0] as any;
    expect(queued.queueUpdated).toMatchObject({ conversation: { id: third.conversation.id, status: 'QUEUED' }, queue: { length: 1, oldestQueuedAt: expect.any(String) } });
    expect(queued.queueUpdated.queue.longestWaitSeconds).toBeGreaterThanOrEqual(0);

    const stranger = await signUpWorkspace(instanceA.url, '别家店');
    const refused = follow(QUEUE_UPDATED, stranger.token, { groupId: desk.groupId });
    expect((await refused.next(10_000)).errors?.[0]?.message).toMatch(/not found/i);
    const visitor = follow(QUEUE_UPDATED, third.visitorToken, { groupId: desk.groupId });
    expect((await visitor.next(10_000)).errors?.[0]?.message).toMatch(/guest token cannot|permission/i);
  });

  it('tells the queue a conversation leaves when it is transferred to another group', async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD', capacity: 1 });
    const [agent] = desk.agents;
    const otherGroup = await createGroup(instanceA.url, desk.owner.token, { name: '售后组', assignmentRule: 'LEAST_LOAD', memberIds: [agent.userId] });
    const waiting = await startConversation(desk);
    const after = await latestPosition(desk);
    const left = follow(QUEUE_UPDATED, desk.owner.token, { groupId: desk.groupId, after });
    const joined = follow(QUEUE_UPDATED, desk.owner.token, { groupId: otherGroup, after });
    const moved = dataOf(await gql(instanceA.url, `mutation($input: ConversationTransferInput!) { conversationTransfer(input: $input) { userErrors { code } } }`, {
      input: { id: waiting.conversation.id, toGroupId: otherGroup },
    }, desk.owner.token)).conversationTransfer;
    expect(moved.userErrors).toEqual([]);
    // Each follower gets the event with its own group's queue: the first is empty now, the second holds it.
    const [fromLeft] = (await take(left, 1)).map((e: any) => e.queueUpdated);
    const [fromJoined] = (await take(joined, 1)).map((e: any) => e.queueUpdated);
    expect(fromLeft).toMatchObject({ topic: 'conversations.conversationQueued', conversation: { id: waiting.conversation.id }, queue: { length: 0 } });
    expect(fromJoined).toMatchObject({ topic: 'conversations.conversationQueued', conversation: { id: waiting.conversation.id }, queue: { length: 1 } });
  });
});

const MY_ASSIGNMENTS = `subscription($after: String) { myAssignments(after: $after) { topic conversation { id status assignee { id } } } }`;

describe('myAssignments', () => {
  it("tells an agent what was assigned to them and what left them (transferred to an agent, back to the queue, closed), and nothing of others'", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 2, rule: 'SEQUENTIAL', capacity: 1 });
    const [first, second] = desk.agents;
    await setStatus(instanceA.url, first, 'ONLINE');
    const after = await latestPosition(desk);
    const mine = follow(MY_ASSIGNMENTS, first.token, { after });
    const theirs = follow(MY_ASSIGNMENTS, second.token, { after });
    const transfer = async (input: Record<string, unknown>) =>
      expect(dataOf(await gql(instanceA.url, `mutation($input: ConversationTransferInput!) { conversationTransfer(input: $input) { userErrors { code } } }`, { input }, first.token)).conversationTransfer.userErrors).toEqual([]);
    const event = (e: any) => [e.myAssignments.topic, e.myAssignments.conversation.id];

    const c1 = (await startConversation(desk)).conversation.id; // to first
    await setStatus(instanceA.url, second, 'ONLINE');
    await transfer({ id: c1, toAgentId: second.userId }); // taken from first, given to second
    const c2 = (await startConversation(desk)).conversation.id; // first has room again
    // Back to the group: second is full and first is left out, so it waits; first's freed slot then takes it back.
    await transfer({ id: c2, toGroupId: desk.groupId });
    await closeConversation(instanceA.url, second.token, c1);

    // Each conversation is read when its event is sent, so only topics and ids are certain here.
    expect((await take(mine, 5)).map(event)).toEqual([
      ['conversations.conversationAssigned', c1], // given to first
      ['conversations.conversationAssigned', c1], // taken from first (previousAgentId)
      ['conversations.conversationAssigned', c2],
      ['conversations.conversationQueued', c2], // taken from first, back in the queue
      ['conversations.conversationAssigned', c2],
    ]);
    expect((await take(theirs, 2)).map(event)).toEqual([
      ['conversations.conversationAssigned', c1],
      ['conversations.conversationClosed', c1],
    ]);
    await nothingMore(mine);
    await nothingMore(theirs);
  });
});

const TYPING = `subscription($conversationId: ID!) { typingChanged(conversationId: $conversationId) { conversationId typing authorKind authorName } }`;
const TYPING_SET = `mutation($input: TypingSetInput!) { typingSet(input: $input) { userErrors { field code } } }`;

describe('typing', () => {
  it("reaches the conversation's visitor on the other instance with the agent's name; nobody else may follow or send it", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const [agent] = desk.agents;
    await setStatus(instanceA.url, agent, 'ONLINE');
    const mine = await startConversation(desk, {}, {}, '你好', true);
    const theirs = await startConversation(desk, {}, {}, '你好', true);
    const typing = follow(TYPING, mine.visitorToken, { conversationId: mine.conversation.id });
    const setTyping = async (token: string, conversationId: string, value: boolean) =>
      dataOf(await gql(instanceA.url, TYPING_SET, { input: { conversationId, typing: value } }, token)).typingSet;
    // Signals are not replayed: send until the subscription is surely registered, then once more and stop.
    for (let attempt = 0; ; attempt++) {
      expect(await setTyping(agent.token, mine.conversation.id, true)).toEqual({ userErrors: [] });
      try {
        const event = await typing.next(1000);
        expect(event.data?.typingChanged).toEqual({ conversationId: mine.conversation.id, typing: true, authorKind: 'AGENT', authorName: expect.any(String) });
        break;
      } catch (error) {
        if (attempt === 20) throw error;
      }
    }
    await setTyping(agent.token, mine.conversation.id, false);
    await expect(typing.until((e) => e.data?.typingChanged?.typing === false)).resolves.toBeDefined();
    expect(await setTyping(mine.visitorToken, theirs.conversation.id, true)).toEqual({ userErrors: [{ field: ['input', 'conversationId'], code: 'NOT_FOUND' }] });
    const spy = follow(TYPING, theirs.visitorToken, { conversationId: mine.conversation.id });
    expect((await spy.next(10_000)).errors?.[0]?.message).toMatch(/not found/i);
  });
});

const VISITOR_CONVERSATIONS = `subscription($after: String) { visitorConversations(after: $after) { topic conversation { id status assigneeName
  messages(first: 3) { nodes { seq authorKind authorName content } } } } }`;
const PAGE_VIEW = `mutation($input: VisitorPageViewInput!) { visitorPageView(input: $input) { visitor { id } visitorToken userErrors { code } } }`;

describe('visitorConversations (proactive invitation)', () => {
  it("tells a browsing visitor's widget, on the other instance, of the agent's invitation, and nobody else's widget", async () => {
    const desk = await setUpDesk(instanceA.url, { agents: 1, rule: 'LEAST_LOAD' });
    const [agent] = desk.agents;
    await setStatus(instanceA.url, agent, 'ONLINE');
    const browse = async () => dataOf(await gql(instanceA.url, PAGE_VIEW, { input: { channelId: desk.channelId, widgetKey: desk.widgetKey, url: 'https://shop.example.com/item/9' } })).visitorPageView;
    const invitee = await browse();
    const bystander = await browse();
    const after = await latestPosition(desk);
    const inviteeWidget = follow(VISITOR_CONVERSATIONS, invitee.visitorToken, { after });
    const bystanderWidget = follow(VISITOR_CONVERSATIONS, bystander.visitorToken, { after });
    const invited = dataOf(await gql(instanceA.url, `mutation($input: ConversationInviteInput!) { conversationInvite(input: $input) { conversation { id } userErrors { code } } }`, {
      input: { visitorId: invitee.visitor.id, message: '您好，有什么可以帮您？' },
    }, agent.token)).conversationInvite;
    expect(invited.userErrors).toEqual([]);
    const [event] = await take(inviteeWidget, 1);
    expect((event as any).visitorConversations).toEqual({
      topic: 'conversations.conversationStarted',
      conversation: { id: invited.conversation.id, status: 'ACTIVE', assigneeName: expect.any(String), messages: { nodes: [{ seq: 1, authorKind: 'AGENT', authorName: expect.any(String), content: '您好，有什么可以帮您？' }] } },
    });
    // The bystander starts a conversation of their own (with their token): the only one their widget hears of.
    const own = dataOf(await gql(instanceA.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { conversation { id } userErrors { code } } }`, {
      input: { channelId: desk.channelId, message: '我也想问' },
    }, bystander.visitorToken)).conversationStart;
    expect(own.userErrors).toEqual([]);
    expect((await take(bystanderWidget, 1)).map((e: any) => e.visitorConversations.conversation.id)).toEqual([own.conversation.id]);
    await nothingMore(inviteeWidget);
    const staff = follow(VISITOR_CONVERSATIONS, agent.token, {});
    expect((await staff.next(10_000)).errors?.[0]?.message).toMatch(/visitor token/);
  });
});
