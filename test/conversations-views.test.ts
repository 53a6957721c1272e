import { parseGlobalId } from '../src/graphql/global-id';
import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { createUserWithRole } from './support/fixtures';
import { closeConversation, setStatus, setUpDesk, startConversation, type Desk } from './support/desk';
import { startTestServer, type TestServer } from './support/server';

/**
 * Issue 9, points 10, 11 and 13: satisfaction ratings, the customer's conversation history and their personal
 * data, and the manager views (queues, workload, search, visitor counts), with figures worked out by hand here.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

const RATE = `mutation($input: ConversationRateInput!) { conversationRate(input: $input) {
  conversation { ratingScore ratingTags ratingComment ratedAt } userErrors { field code message } } }`;

async function rate(token: string, input: Record<string, unknown>) {
  return dataOf(await gql(server.url, RATE, { input }, token)).conversationRate;
}

/** A conversation started through the widget, served by the desk's first agent; returns its id and the visitor's token. */
async function servedConversation(desk: Desk, message = '你好，在吗？') {
  const started = await startConversation(desk, {}, {}, message, true);
  return { id: started.conversation.id, visitorToken: started.visitorToken };
}

describe('conversationRate', () => {
  it('the visitor rates a closed conversation once, with tags from the list; the rating goes to the agent who served', async () => {
    const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', capacity: 5 });
    const [agent] = desk.agents;
    await setStatus(server.url, agent, 'ONLINE');
    const { id, visitorToken } = await servedConversation(desk);
    const other = await servedConversation(desk);
    const unrated = { ratingScore: null, ratingTags: null, ratingComment: null, ratedAt: null };
    const stateOf = async () => dataOf(await gql(server.url, `query($id: ID!) { conversation(id: $id) { ratingScore ratingTags ratingComment ratedAt } }`, { id }, desk.owner.token)).conversation;

    // Still open: not yet.
    expect((await rate(visitorToken, { id, score: 5 })).userErrors).toEqual([expect.objectContaining({ field: ['input', 'id'], code: 'NOT_ALLOWED' })]);
    await closeConversation(server.url, agent.token, id);
    await closeConversation(server.url, agent.token, other.id);

    // Bad input: each refused with its code, nothing written.
    const bad: Array<[Record<string, unknown>, string[], string]> = [
      [{ score: 0 }, ['input', 'score'], 'TOO_SMALL'],
      [{ score: 6 }, ['input', 'score'], 'TOO_LARGE'],
      [{ score: 4, tags: ['回复及时', '很好吃'] }, ['input', 'tags', '1'], 'NOT_FOUND'],
      [{ score: 4, tags: ['回复及时', '回复及时'] }, ['input', 'tags', '1'], 'DUPLICATE'],
      [{ score: 4, comment: '好'.repeat(501) }, ['input', 'comment'], 'TOO_LONG'],
    ];
    for (const [input, field, code] of bad) {
      expect((await rate(visitorToken, { id, ...input })).userErrors).toEqual([expect.objectContaining({ field, code })]);
    }
    // Another visitor's token: as if the conversation did not exist.
    expect((await rate(other.visitorToken, { id, score: 1 })).userErrors).toEqual([expect.objectContaining({ field: ['input', 'id'], code: 'NOT_FOUND' })]);
    expect(await stateOf()).toEqual(unrated);

    const rated = await rate(visitorToken, { id, score: 4, tags: ['回复及时', '问题已解决'], comment: '  很耐心，谢谢  ' });
    expect(rated.userErrors).toEqual([]);
    expect(rated.conversation).toMatchObject({ ratingScore: 4, ratingTags: ['回复及时', '问题已解决'], ratingComment: '很耐心，谢谢' });
    const again = await rate(visitorToken, { id, score: 1 });
    expect(again.userErrors).toEqual([expect.objectContaining({ field: ['input', 'id'], code: 'ALREADY_DONE' })]);
    expect(await stateOf()).toMatchObject({ ratingScore: 4 });

    // Tied to the agent who served: servedBy, and the event's agentId.
    const servedBy = dataOf(await gql(server.url, `query($id: ID!) { conversation(id: $id) { servedBy { id } } }`, { id }, desk.owner.token)).conversation.servedBy;
    expect(servedBy).toEqual({ id: agent.userId });
    const events = await adminQuery(`select refs, actor_kind from domain_event where topic = 'conversations.conversationRated' and subject_id = $1`, server.databaseName, [uuid(id)]);
    expect(events.rows).toEqual([{ refs: { agentId: uuid(agent.userId) }, actor_kind: 'GUEST' }]);
  });

  it("staff with conversations:write record a visitor's rating, but not the agent who served it; tags come from the workspace's list", async () => {
    const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL', capacity: 5 });
    const [agent] = desk.agents;
    await setStatus(server.url, agent, 'ONLINE');
    const { id } = await servedConversation(desk);
    await closeConversation(server.url, agent.token, id);
    const self = await rate(agent.token, { id, score: 5 });
    expect(self.userErrors).toEqual([expect.objectContaining({ field: ['input', 'id'], code: 'NOT_ALLOWED' })]);
    const analyst = await createUserWithRole(server.url, desk.owner.token, 'ANALYST');
    expect((await rate(analyst.token, { id, score: 5 })).userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);

    // The workspace's own list replaces the defaults (written here as conversationSettingsUpdate would).
    await adminQuery(`insert into conversation_settings (id, created_at, updated_at, workspace_id, rating_tags) values (gen_random_uuid(), now(), now(), $1, $2)`,
      server.databaseName, [uuid(desk.owner.workspaceId), ['物流快', '包装好']]);
    expect((await rate(desk.owner.token, { id, score: 3, tags: ['回复及时'] })).userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    const recorded = await rate(desk.owner.token, { id, score: 3, tags: ['物流快'] });
    expect(recorded.userErrors).toEqual([]);
    expect(recorded.conversation).toMatchObject({ ratingScore: 3, ratingTags: ['物流快'], ratingComment: null });
  });
});
