import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, errorCode, gql } from './support/client';
import { adminQuery } from './support/database';
import { createUserWithRole } from './support/fixtures';
import { closeConversation, conversationOf, setCapacity, setStatus, setUpDesk, startConversation, type Desk } from './support/desk';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 3 (messages: kinds, sanitising, internal notes, delivery order), point 2's visitorPageView and
 * point 9 (proactive invitation), through the API as the workbench and the widget call it. Read receipts, typing and
 * the subscriptions are in conversations-live.test.ts (two instances).
 */
let server: TestServer;
let desk: Desk;
beforeAll(async () => {
  server = await startTestServer();
  desk = await setUpDesk(server.url, { agents: 1, rule: 'LEAST_LOAD', capacity: 5 });
  await setStatus(server.url, desk.agents[0], 'ONLINE');
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

const SEND = `mutation($input: MessageSendInput!) { messageSend(input: $input) {
  message { id seq kind content authorKind authorName author { id } } userErrors { field code message } } }`;

async function send(token: string, conversationId: string, kind: string, content: string) {
  return dataOf(await gql(server.url, SEND, { input: { conversationId, kind, content } }, token)).messageSend;
}

/** A conversation started through the widget: its id and the visitor's token. */
async function widgetConversation(message = '你好') {
  const started = await startConversation(desk, {}, {}, message, true);
  return { id: started.conversation.id, token: started.visitorToken };
}

async function storedMessages(conversationId: string) {
  const { rows } = await adminQuery(`select seq, author_kind, kind, content from message where conversation_id = $1 order by seq`, server.databaseName, [uuid(conversationId)]);
  return rows;
}

const MESSAGES = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) { conversation(id: $id) {
  messages(first: $first, after: $after, last: $last, before: $before) { totalCount nodes { seq kind content authorKind authorName }
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor } } } }`;

describe('messageSend', () => {
  it('an agent and the visitor write each kind; seq follows delivery order; the agent is named, the visitor moves lastSeenAt', async () => {
    const { id, token } = await widgetConversation();
    const agent = desk.agents[0];
    const fromAgent = await send(agent.token, id, 'TEXT', '  您好，请问有什么可以帮您？ ');
    expect(fromAgent.userErrors).toEqual([]);
    expect(fromAgent.message).toMatchObject({ seq: 2, kind: 'TEXT', content: '您好，请问有什么可以帮您？', authorKind: 'AGENT', author: { id: agent.userId } });
    expect((await send(token, id, 'IMAGE', 'https://img.example.com/a.png')).message).toMatchObject({ seq: 3, authorKind: 'VISITOR', authorName: null });
    expect((await send(token, id, 'LINK', 'http://shop.example.com/item?id=1')).message.content).toBe('http://shop.example.com/item?id=1');
    expect((await send(agent.token, id, 'EMOJI', '👍😊')).message.content).toBe('👍😊');
    expect((await send(token, id, 'EMOJI', ':smile:')).message.content).toBe(':smile:');
    expect((await send(agent.token, id, 'RICH_TEXT', '<p>请看 <b>这款</b></p>')).message.content).toBe('<p>请看 <b>这款</b></p>');
    expect((await storedMessages(id)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The widget reads the agent's name (it cannot read users).
    const asVisitor = dataOf(await gql(server.url, MESSAGES, { id, first: 2, after: null }, token)).conversation.messages;
    expect(asVisitor.nodes[1]).toMatchObject({ authorKind: 'AGENT', authorName: expect.any(String) });
    const { rows } = await adminQuery(`select c.first_response_at is not null as answered, c.last_visitor_message_at >= c.last_agent_message_at as visitor_last,
      v.last_seen_at >= c.last_visitor_message_at as seen from conversation c join visitor v on v.id = c.visitor_id where c.id = $1`, server.databaseName, [uuid(id)]);
    expect(rows[0]).toEqual({ answered: true, visitor_last: false, seen: true });
  });

  it('sanitises hostile RICH_TEXT: no script, no event handlers, no javascript: links; links get rel=noopener', async () => {
    const { id } = await widgetConversation();
    const hostile = `<img src=x onerror=alert(1)><script>alert(document.cookie)</script><style>body{display:none}</style>`
      + `<a href="javascript:alert(1)">点我</a> <a href="https://shop.example.com/sale" onclick="steal()">特价</a><iframe src="https://evil.example"></iframe><p onmouseover="x()">好</p>`;
    const sent = await send(desk.agents[0].token, id, 'RICH_TEXT', hostile);
    expect(sent.userErrors).toEqual([]);
    const html = sent.message.content as string;
    expect(html).not.toMatch(/<img|<script|alert\(document|<style|display:none|javascript:|onerror|onclick|onmouseover|<iframe/i);
    expect(html).toContain('<a href="https://shop.example.com/sale" rel="noopener noreferrer nofollow" target="_blank">特价</a>');
    // The javascript: link keeps its text and loses its href.
    expect(html).toContain('<a rel="noopener noreferrer nofollow" target="_blank">点我</a>');
    expect(html).toContain('<p>好</p>');
    // Stored as shown.
    expect((await storedMessages(id)).at(-1).content).toBe(html);
    // Nothing but a script: nothing to send.
    const empty = await send(desk.agents[0].token, id, 'RICH_TEXT', '<script>alert(1)</script>');
    expect(empty.userErrors).toEqual([{ field: ['input', 'content'], code: 'REQUIRED', message: expect.any(String) }]);
  });

  it('refuses bad content with a clear error and writes nothing', async () => {
    const { id, token } = await widgetConversation();
    const cases: Array<[string, string, string]> = [
      ['LINK', 'javascript:alert(1)', 'URL_INVALID'],
      ['IMAGE', 'ftp://files.example.com/a.png', 'URL_INVALID'],
      ['IMAGE', '/relative.png', 'URL_INVALID'],
      ['LINK', `https://example.com/${'a'.repeat(2100)}`, 'TOO_LONG'],
      ['EMOJI', 'hello', 'INVALID'],
      ['EMOJI', '😀'.repeat(9), 'INVALID'],
      ['TEXT', '   ', 'REQUIRED'],
      ['TEXT', '好'.repeat(5001), 'TOO_LONG'],
    ];
    for (const [kind, content, code] of cases) {
      const result = await send(token, id, kind, content);
      expect([kind, result.userErrors[0]?.code]).toEqual([kind, code]);
      expect(result.message).toBeNull();
    }
    expect(await storedMessages(id)).toHaveLength(1);
  });

  it('NOTE: staff only, never shown to the visitor (list, count, node)', async () => {
    const { id, token } = await widgetConversation();
    const note = await send(token, id, 'NOTE', '我是访客');
    expect(note.userErrors).toEqual([{ field: ['input', 'kind'], code: 'NOT_ALLOWED', message: expect.any(String) }]);
    const internal = await send(desk.agents[0].token, id, 'NOTE', '这位客户上次投诉过');
    expect(internal.userErrors).toEqual([]);
    await send(desk.agents[0].token, id, 'TEXT', '您好');
    const staffView = dataOf(await gql(server.url, MESSAGES, { id }, desk.owner.token)).conversation.messages;
    expect(staffView.nodes.map((m: any) => m.kind)).toEqual(['TEXT', 'NOTE', 'TEXT']);
    expect(staffView.totalCount).toBe(3);
    const visitorView = dataOf(await gql(server.url, MESSAGES, { id }, token)).conversation.messages;
    expect(visitorView.nodes.map((m: any) => [m.seq, m.kind])).toEqual([[1, 'TEXT'], [3, 'TEXT']]);
    expect(visitorView.totalCount).toBe(2);
    // Paging from a cursor (the other path) leaves notes out too.
    const first = dataOf(await gql(server.url, MESSAGES, { id, first: 1 }, token)).conversation.messages;
    const rest = dataOf(await gql(server.url, MESSAGES, { id, first: 5, after: first.pageInfo.endCursor }, token)).conversation.messages;
    expect(rest.nodes.map((m: any) => m.seq)).toEqual([3]);
    // The note itself by id: not the visitor's to read.
    const byNode = await gql(server.url, `query($id: ID!) { node(id: $id) { id } }`, { id: internal.message.id }, token);
    expect(byNode.data?.node ?? null).toBeNull();
  });

  it('pages messages by seq both ways, from either end and from cursors', async () => {
    const { id, token } = await widgetConversation('1');
    for (let i = 2; i <= 6; i++) await send(token, id, 'TEXT', String(i));
    const page = async (variables: Record<string, unknown>) => dataOf(await gql(server.url, MESSAGES, { id, ...variables }, desk.owner.token)).conversation.messages;
    const first = await page({ first: 2 });
    expect(first.nodes.map((m: any) => m.content)).toEqual(['1', '2']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const next = await page({ first: 3, after: first.pageInfo.endCursor });
    expect(next.nodes.map((m: any) => m.content)).toEqual(['3', '4', '5']);
    const last = await page({ last: 2 });
    expect(last.nodes.map((m: any) => m.content)).toEqual(['5', '6']);
    const before = await page({ last: 10, before: last.pageInfo.startCursor });
    expect(before.nodes.map((m: any) => m.content)).toEqual(['1', '2', '3', '4']);
    expect(errorCode(await gql(server.url, MESSAGES, { id, first: 1, after: 'bm90LWEtY3Vyc29y' }, desk.owner.token))).toBe('BAD_USER_INPUT');
  });

  it('a closed conversation takes no message (CONVERSATION_CLOSED); a token on another conversation is NOT_FOUND; an analyst cannot send', async () => {
    const mine = await widgetConversation();
    const theirs = await widgetConversation();
    const other = await send(mine.token, theirs.id, 'TEXT', '偷看');
    expect(other.userErrors).toEqual([{ field: ['input', 'conversationId'], code: 'NOT_FOUND', message: 'No such conversation' }]);
    const unknown = await send(mine.token, 'not-an-id', 'TEXT', '你好');
    expect(unknown.userErrors).toEqual(other.userErrors);
    await closeConversation(server.url, desk.agents[0].token, mine.id);
    for (const token of [mine.token, desk.agents[0].token]) {
      const closed = await send(token, mine.id, 'TEXT', '还在吗');
      expect(closed.userErrors).toEqual([{ field: ['input', 'conversationId'], code: 'CONVERSATION_CLOSED', message: expect.any(String) }]);
    }
    const analyst = await createUserWithRole(server.url, desk.owner.token, 'ANALYST');
    expect(errorCode(await gql(server.url, SEND, { input: { conversationId: theirs.id, kind: 'TEXT', content: '你好' } }, analyst.token))).toBe('FORBIDDEN');
    expect(await storedMessages(mine.id)).toHaveLength(1);
    expect(await storedMessages(theirs.id)).toHaveLength(1);
  });

  it('keeps delivery order under concurrent senders: seqs are 1..n with no gap or repeat', async () => {
    const { id, token } = await widgetConversation();
    const sends = Array.from({ length: 20 }, (_, i) => send(i % 2 ? token : desk.agents[0].token, id, 'TEXT', `m${i}`));
    const results = await Promise.all(sends);
    expect(results.every((r) => r.userErrors.length === 0)).toBe(true);
    expect((await storedMessages(id)).map((m) => m.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });
});

const PAGE_VIEW = `mutation($input: VisitorPageViewInput!) { visitorPageView(input: $input) { visitor { id } visitorToken userErrors { field code message } } }`;
const TRAIL = `query($id: ID!) { node(id: $id) { ... on Visitor { id context { landingPage referrer } pageViews(first: 10) { totalCount nodes { url title } } } } }`;

describe('visitorPageView', () => {
  it('a first visit (widget key) makes a visitor and returns its token; later pages join its trail, newest first', async () => {
    const first = dataOf(await gql(server.url, PAGE_VIEW, { input: {
      channelId: desk.channelId, widgetKey: desk.widgetKey, url: 'https://shop.example.com/', title: '首页', referrer: 'https://www.baidu.com/s?wd=连衣裙',
    } })).visitorPageView;
    expect(first.userErrors).toEqual([]);
    expect(first.visitorToken).toMatch(/^gt_/);
    const visitorId = first.visitor.id;
    const second = dataOf(await gql(server.url, PAGE_VIEW, { input: { url: 'https://shop.example.com/item/1', title: '夏季连衣裙' } }, first.visitorToken)).visitorPageView;
    expect(second).toMatchObject({ visitor: { id: visitorId }, userErrors: [] });
    const trail = dataOf(await gql(server.url, TRAIL, { id: visitorId }, desk.owner.token)).node;
    expect(trail.context).toEqual({ landingPage: 'https://shop.example.com/', referrer: 'https://www.baidu.com/s?wd=连衣裙' });
    expect(trail.pageViews).toEqual({ totalCount: 2, nodes: [{ url: 'https://shop.example.com/item/1', title: '夏季连衣裙' }, { url: 'https://shop.example.com/', title: '首页' }] });
    const browsing = dataOf(await gql(server.url, `query($channelId: ID) { visitors(channelId: $channelId, first: 1) { nodes { id } } }`, { channelId: desk.channelId }, desk.owner.token)).visitors;
    expect(browsing.nodes).toEqual([{ id: visitorId }]);
  });

  it('refuses bad input and the wrong credentials, writing nothing', async () => {
    const before = (await adminQuery(`select count(*)::int as n from page_view`, server.databaseName)).rows[0].n;
    const bad = dataOf(await gql(server.url, PAGE_VIEW, { input: { channelId: desk.channelId, widgetKey: desk.widgetKey, url: 'javascript:alert(1)' } })).visitorPageView;
    expect(bad.userErrors).toEqual([{ field: ['input', 'url'], code: 'URL_INVALID', message: expect.any(String) }]);
    expect(errorCode(await gql(server.url, PAGE_VIEW, { input: { channelId: desk.channelId, widgetKey: 'wk_wrong', url: 'https://shop.example.com/' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await gql(server.url, PAGE_VIEW, { input: { url: 'https://shop.example.com/' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await gql(server.url, PAGE_VIEW, { input: { url: 'https://shop.example.com/' } }, desk.owner.token))).toBe('FORBIDDEN');
    expect((await adminQuery(`select count(*)::int as n from page_view`, server.databaseName)).rows[0].n).toBe(before);
  });
});

const INVITE = `mutation($input: ConversationInviteInput!) { conversationInvite(input: $input) {
  conversation { id status assignee { id } context { originatingPage }
    messages(first: 5) { nodes { seq authorKind content } } } userErrors { field code message } } }`;

describe('conversationInvite (proactive invitation)', () => {
  it("an online agent with room invites a browsing visitor: ACTIVE with that agent (INVITATION), the agent's message first", async () => {
    const shop = await setUpDesk(server.url, { agents: 1, rule: 'LEAST_LOAD', capacity: 1 });
    const [agent] = shop.agents;
    const browse = async (url: string) => dataOf(await gql(server.url, PAGE_VIEW, { input: { channelId: shop.channelId, widgetKey: shop.widgetKey, url } })).visitorPageView;
    const visitor = await browse('https://shop.example.com/item/7');
    const invite = async (token: string, visitorId: string) =>
      dataOf(await gql(server.url, INVITE, { input: { visitorId, message: '您好，这款连衣裙今天有优惠，需要帮您介绍吗？' } }, token)).conversationInvite;

    expect((await invite(agent.token, visitor.visitor.id)).userErrors).toEqual([{ field: ['input'], code: 'AGENT_UNAVAILABLE', message: expect.any(String) }]);
    await setStatus(server.url, agent, 'ONLINE');
    const invited = await invite(agent.token, visitor.visitor.id);
    expect(invited.userErrors).toEqual([]);
    expect(invited.conversation).toMatchObject({
      status: 'ACTIVE', assignee: { id: agent.userId }, context: { originatingPage: 'https://shop.example.com/item/7' },
      messages: { nodes: [{ seq: 1, authorKind: 'AGENT', content: '您好，这款连衣裙今天有优惠，需要帮您介绍吗？' }] },
    });
    expect((await conversationOf(shop, invited.conversation.id)).assignment).toMatchObject({ rule: 'INVITATION', reason: { candidates: [], summary: expect.stringContaining('INVITATION') } });
    // The visitor reads it with their token and answers.
    const read = dataOf(await gql(server.url, `query($id: ID!) { conversation(id: $id) { status assigneeName } }`, { id: invited.conversation.id }, visitor.visitorToken)).conversation;
    expect(read).toEqual({ status: 'ACTIVE', assigneeName: expect.any(String) });
    expect((await send(visitor.visitorToken, invited.conversation.id, 'TEXT', '好的')).userErrors).toEqual([]);

    // In a conversation already; the agent is full; another shop's agent; a visitor's token; an unknown visitor.
    expect((await invite(agent.token, visitor.visitor.id)).userErrors[0].code).toBe('AGENT_UNAVAILABLE');
    await setCapacity(server.url, shop.owner.token, agent.userId, 3);
    expect((await invite(agent.token, visitor.visitor.id)).userErrors).toEqual([{ field: ['input', 'visitorId'], code: 'NOT_ALLOWED', message: expect.any(String) }]);
    const other = await browse('https://shop.example.com/');
    const stranger = await setUpDesk(server.url, { agents: 1, rule: 'LEAST_LOAD' });
    await setStatus(server.url, stranger.agents[0], 'ONLINE');
    expect((await invite(stranger.agents[0].token, other.visitor.id)).userErrors).toEqual([{ field: ['input', 'visitorId'], code: 'NOT_FOUND', message: 'No such visitor' }]);
    expect(errorCode(await gql(server.url, INVITE, { input: { visitorId: other.visitor.id, message: '你好' } }, visitor.visitorToken))).toBe('FORBIDDEN');
    const { rows } = await adminQuery(`select count(*)::int as n from conversation where visitor_id = $1`, server.databaseName, [uuid(other.visitor.id)]);
    expect(rows[0].n).toBe(0);
  });
});

