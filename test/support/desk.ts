import { dataOf, gql } from './client';
import { createUserWithRole, signUpWorkspace, type SignedUp } from './fixtures';

/**
 * A service desk for conversation tests, set up through the API as a shop would: a workspace, agents, a group and
 * a channel. Agents are returned in the order asked.
 */
export interface Agent {
  token: string;
  userId: string;
}

export interface Desk {
  url: string;
  owner: SignedUp;
  agents: Agent[];
  groupId: string;
  channelId: string;
  widgetKey: string;
}

export async function setUpDesk(url: string, options: { agents: number; rule: string; returningCustomerFirst?: boolean; capacity?: number; channel?: Record<string, unknown> }): Promise<Desk> {
  const owner = await signUpWorkspace(url);
  const agents: Agent[] = [];
  for (let i = 0; i < options.agents; i++) agents.push(await createUserWithRole(url, owner.token, 'AGENT'));
  const groupId = await createGroup(url, owner.token, { name: '售前组', assignmentRule: options.rule, returningCustomerFirst: options.returningCustomerFirst ?? false, memberIds: agents.map((a) => a.userId) });
  const channel = dataOf(await gql(url, `mutation($input: ChannelCreateInput!) { channelCreate(input: $input) { channel { id widgetKey } userErrors { field code message } } }`, {
    input: { name: '官网', type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: groupId, ...options.channel },
  }, owner.token)).channelCreate;
  if (channel.userErrors.length) throw new Error(JSON.stringify(channel.userErrors));
  if (options.capacity !== undefined) for (const agent of agents) await setCapacity(url, owner.token, agent.userId, options.capacity);
  return { url, owner, agents, groupId, channelId: channel.channel.id, widgetKey: channel.channel.widgetKey };
}

export async function createGroup(url: string, token: string, input: Record<string, unknown>): Promise<string> {
  const payload = dataOf(await gql(url, `mutation($input: ServiceGroupCreateInput!) { serviceGroupCreate(input: $input) { serviceGroup { id } userErrors { field code message } } }`, { input }, token)).serviceGroupCreate;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return payload.serviceGroup.id;
}

export async function setCapacity(url: string, token: string, userId: string, capacity: number) {
  const payload = dataOf(await gql(url, `mutation($input: AgentCapacitySetInput!) { agentCapacitySet(input: $input) { agentState { capacity } userErrors { field code message } } }`, { input: { userId, capacity } }, token)).agentCapacitySet;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
}

export async function setStatus(url: string, agent: Agent, status: string) {
  const payload = dataOf(await gql(url, `mutation($input: AgentStatusSetInput!) { agentStatusSet(input: $input) { agentState { status activeCount } userErrors { field code message } } }`, { input: { status } }, agent.token)).agentStatusSet;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return payload.agentState;
}

export const STARTED_FIELDS = `conversation { id status queuePosition assignee { id } } visitorToken userErrors { field code message }`;

/**
 * A visitor starts a conversation through a channel connector (the owner's token: conversations:write), or with
 * `widget`, through the chat widget (anonymous, with the channel's widget key; a visitor cannot read the assignee).
 */
export async function startConversation(desk: Desk, visitor: Record<string, unknown> = {}, context: Record<string, unknown> = {}, message = '你好，在吗？', widget = false) {
  const fields = widget ? STARTED_FIELDS.replace(' assignee { id }', '') : STARTED_FIELDS;
  const payload = dataOf(await gql(desk.url, `mutation($input: ConversationStartInput!) { conversationStart(input: $input) { ${fields} } }`, {
    input: { channelId: desk.channelId, widgetKey: widget ? desk.widgetKey : undefined, visitor, context, message },
  }, widget ? undefined : desk.owner.token)).conversationStart;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  return payload as { conversation: { id: string; status: string; queuePosition: number | null; assignee: { id: string } | null }; visitorToken: string };
}

export async function closeConversation(url: string, token: string, id: string) {
  const payload = dataOf(await gql(url, `mutation($input: ConversationIdInput!) { conversationClose(input: $input) { conversation { status } userErrors { field code message } } }`, { input: { id } }, token)).conversationClose;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
}

/** The conversation as a manager sees it: status, assignee, queue position, and the assignment's rule and reason. */
export async function conversationOf(desk: Desk, id: string) {
  return dataOf(await gql(desk.url, `query($id: ID!) { conversation(id: $id) { id status queuePosition assignee { id }
    assignment { rule reason { summary tieBreak candidates { agent { id } activeCount handledToday position } } } } }`, { id }, desk.owner.token)).conversation;
}
