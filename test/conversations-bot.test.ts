import { CONVERSATION_BOT, type BotQuestion } from '../modules/conversations';
import { parseGlobalId } from '../src/graphql/global-id';
import { contribute } from '../src/kernel/extension-points';
import { defineModule } from '../src/kernel/module';
import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { conversationOf, setStatus, setUpDesk, startConversation } from './support/desk';
import { eventually } from './support/eventually';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, point 15: in BOT_FIRST channels the contributed bot answers visitor messages as BOT and can hand over to
 * the queue; the visitor can ask for a human. A stand-in bot (the knowledge module will contribute the real one):
 * it answers every message and hands over when asked for 人工.
 */
const asked: BotQuestion[] = [];
const standInBot = defineModule({
  name: 'standinbot', entities: [], resolvers: [], permissions: [],
  contributes: [contribute(CONVERSATION_BOT, {
    async answer(_ctx, question) {
      asked.push(question);
      const human = question.message.includes('人工');
      return { replies: [human ? '好的，正在为您转接人工客服' : '您好，我是智能助手小智，请问有什么可以帮您？'], handOver: human };
    },
  })],
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ extraModules: [standInBot] });
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
const messagesOf = async (id: string) =>
  (await adminQuery(`select author_kind, content from message where conversation_id = $1 order by seq`, server.databaseName, [uuid(id)])).rows;

it('the bot answers first, then hands over to the queue when the visitor asks for a human', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', channel: { receptionMode: 'BOT_FIRST' } });
  await setStatus(server.url, desk.agents[0], 'ONLINE');
  const started = await startConversation(desk, { externalId: 'bot-visitor' }, {}, '这件衣服有货吗？', true);
  expect(started.conversation.status).toBe('BOT');
  await eventually(async () => (await messagesOf(started.conversation.id)).some((m) => m.author_kind === 'BOT'));
  expect(asked.at(-1)).toMatchObject({ message: '这件衣服有货吗？', conversationId: uuid(started.conversation.id) });
  expect((await conversationOf(desk, started.conversation.id)).status).toBe('BOT');
  // The visitor writes again (a start with their token continues the open conversation) and asks for a human.
  dataOf(await gql(server.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { userErrors { code } } }`, {
    input: { channelId: desk.channelId, message: '转人工' },
  }, started.visitorToken));
  const handedOver = await eventually(async () => {
    const now = await conversationOf(desk, started.conversation.id);
    return now.status === 'ACTIVE' && now;
  });
  expect(handedOver.assignee.id).toBe(desk.agents[0].userId);
  expect((await messagesOf(started.conversation.id)).map((m) => [m.author_kind, m.content])).toEqual([
    ['VISITOR', '这件衣服有货吗？'],
    ['BOT', '您好，我是智能助手小智，请问有什么可以帮您？'],
    ['VISITOR', '转人工'],
    ['BOT', '好的，正在为您转接人工客服'],
  ]);
  const { rows } = await adminQuery(`select human_served from conversation where id = $1`, server.databaseName, [uuid(started.conversation.id)]);
  expect(rows).toEqual([{ human_served: true }]);
});

it('the widget\'s 转人工 button hands over at once; HUMAN_FIRST channels never meet the bot', async () => {
  const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', channel: { receptionMode: 'BOT_FIRST' } });
  const started = await startConversation(desk, {}, {}, '你好', true);
  const handOver = dataOf(await gql(server.url, `mutation($input: ConversationIdInput!) { conversationHandOver(input: $input) { conversation { status queuePosition } userErrors { code } } }`, {
    input: { id: started.conversation.id },
  }, started.visitorToken)).conversationHandOver;
  expect(handOver).toEqual({ conversation: { status: 'QUEUED', queuePosition: 1 }, userErrors: [] });
  const human = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
  expect((await startConversation(human)).conversation.status).toBe('QUEUED');
});
