import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { closeConversation, setStatus, setUpDesk, startConversation, type Desk } from './support/desk';
import { startTestServer, type TestServer } from './support/server';
import { parseGlobalId } from '../src/graphql/global-id';

/**
 * Issue 9, point 6: the estimated wait of a queued conversation (modules/conversations/README.md, "Estimated wait"):
 * position × the group's average handling time over its last 20 closed conversations ÷ the capacity of its online
 * agents, rounded up. The handling times are set in the database to known values (the test cannot wait minutes);
 * every other step goes through the API.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => parseGlobalId(globalId)!.id;

async function waitsOf(desk: Desk, ids: string[]) {
  const data = dataOf(await gql(desk.url, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Conversation { status queuePosition estimatedWaitSeconds } } }`, { ids }, desk.owner.token));
  return data.nodes.map((n: { estimatedWaitSeconds: number | null }) => n.estimatedWaitSeconds);
}

it('estimates the wait from the last 20 handling times and the online capacity, per queue position', async () => {
  const desk = await setUpDesk(server.url, { agents: 2, rule: 'SEQUENTIAL', capacity: 1 });
  const [a, b] = desk.agents;
  await setStatus(server.url, a, 'ONLINE');
  // No history yet: a queued conversation has no estimate (b is offline, a is busy).
  const busy = await startConversation(desk, { externalId: 'warm-up' });
  const early = await startConversation(desk, { externalId: 'early' });
  expect(early.conversation.status).toBe('QUEUED');
  expect(await waitsOf(desk, [early.conversation.id])).toEqual([null]);
  await closeConversation(server.url, desk.owner.token, busy.conversation.id);
  await closeConversation(server.url, desk.owner.token, early.conversation.id);
  // 21 handled conversations: the oldest (`busy`) lasted 10,000 s, outside the sample of 20; of the 20 latest, ten
  // lasted 60 s and ten 180 s: an average of 120 s. `early` was closed while queued: no handling time, not sampled.
  const closed = [busy.conversation.id, early.conversation.id];
  for (let i = 0; i < 20; i++) {
    const started = await startConversation(desk, { externalId: `past-${i}` });
    await closeConversation(server.url, desk.owner.token, started.conversation.id);
    closed.push(started.conversation.id);
  }
  const ids = closed.map(uuid);
  await adminQuery(`update conversation set first_assigned_at = closed_at - interval '10000 seconds' where id = $1`, server.databaseName, [ids[0]]);
  await adminQuery(`update conversation set first_assigned_at = closed_at - (case when ordinality % 2 = 0 then interval '60 seconds' else interval '180 seconds' end)
    from unnest($1::uuid[]) with ordinality as latest(id, ordinality) where conversation.id = latest.id`, server.databaseName, [ids.slice(2)]);

  // a and b online with capacity 1 each: 2 slots. Both busy, then three wait: 1·120/2, 2·120/2, 3·120/2.
  await setStatus(server.url, b, 'ONLINE');
  for (const visitor of ['x', 'y']) expect((await startConversation(desk, { externalId: visitor })).conversation.status).toBe('ACTIVE');
  const waiting = [];
  for (const visitor of ['p', 'q', 'r']) waiting.push((await startConversation(desk, { externalId: visitor })).conversation.id);
  expect(await waitsOf(desk, waiting)).toEqual([60, 120, 180]);
  // b goes AWAY: one slot left, the waits double; nobody online: no estimate.
  await setStatus(server.url, b, 'AWAY');
  expect(await waitsOf(desk, waiting)).toEqual([120, 240, 360]);
  await setStatus(server.url, a, 'AWAY');
  expect(await waitsOf(desk, waiting)).toEqual([null, null, null]);
});
