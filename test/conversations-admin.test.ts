import { dataOf, errorCode, gql } from './support/client';
import { parseGlobalId } from '../src/graphql/global-id';
import { conversationOf, setStatus, setUpDesk, startConversation } from './support/desk';
import { adminQuery } from './support/database';
import { createApiKey, createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { isOpenAt } from '../modules/conversations/services/business-hours';
import { matchRoutingRule, type RoutingContext } from '../modules/conversations/services/routing';

/** Issue 9, the configuration side: service groups, channels, routing rules, settings, quick replies. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const GROUP_FIELDS = `id name assignmentRule returningCustomerFirst members { position agent { id displayName } }`;
const GROUP_CREATE = `mutation($input: ServiceGroupCreateInput!) { serviceGroupCreate(input: $input) {
  serviceGroup { ${GROUP_FIELDS} } userErrors { field message code } } }`;
const GROUP_UPDATE = `mutation($input: ServiceGroupUpdateInput!) { serviceGroupUpdate(input: $input) {
  serviceGroup { ${GROUP_FIELDS} } userErrors { field message code } } }`;

async function createGroup(token: string, input: Record<string, unknown>) {
  const payload = dataOf(await gql(server.url, GROUP_CREATE, { input: { assignmentRule: 'LEAST_LOAD', ...input } }, token)).serviceGroupCreate;
  expect(payload.userErrors).toEqual([]);
  return payload.serviceGroup;
}

const CHANNEL_FIELDS = `id name type receptionMode defaultGroup { id name } autoReplies { greeting noAgentOnline queueWaitSeconds queueWaitMessage agentSilenceSeconds agentSilenceReminder } businessHours { weekday from to }`;
const CHANNEL_CREATE = `mutation($input: ChannelCreateInput!) { channelCreate(input: $input) {
  channel { ${CHANNEL_FIELDS} widgetKey } userErrors { field message code } } }`;
const CHANNEL_UPDATE = `mutation($input: ChannelUpdateInput!) { channelUpdate(input: $input) {
  channel { ${CHANNEL_FIELDS} } userErrors { field message code } } }`;

async function createChannel(token: string, input: Record<string, unknown>) {
  const payload = dataOf(await gql(server.url, CHANNEL_CREATE, { input: { type: 'WEB', receptionMode: 'HUMAN_FIRST', ...input } }, token)).channelCreate;
  expect(payload.userErrors).toEqual([]);
  return payload.channel;
}

/** PostgreSQL's order of the test database (code points, as the C collation) for titles, in tests that list them. */
const byTitle = (a: string, b: string) => {
  const [x, y] = [a.replace(/^\w+:/, ''), b.replace(/^\w+:/, '')];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The audit actions written in the owner's workspace, oldest first. */
async function auditActions(token: string): Promise<string[]> {
  const data = dataOf(await gql(server.url, `{ auditLog(first: 100) { nodes { action } } }`, {}, token));
  return data.auditLog.nodes.map((n: { action: string }) => n.action).reverse();
}

describe('service groups', () => {
  it('creates a group with its members in order, replaces them on update, and lists groups with members in one statement', async () => {
    const owner = await signUpWorkspace(server.url);
    const [a, b, c] = [await createUserWithRole(server.url, owner.token, 'AGENT'), await createUserWithRole(server.url, owner.token, 'AGENT'), await createUserWithRole(server.url, owner.token, 'MANAGER')];
    const group = await createGroup(owner.token, { name: '售前组', assignmentRule: 'SEQUENTIAL', returningCustomerFirst: true, memberIds: [b.userId, a.userId] });
    expect(group).toMatchObject({ name: '售前组', assignmentRule: 'SEQUENTIAL', returningCustomerFirst: true });
    expect(group.members.map((m: any) => [m.position, m.agent.id])).toEqual([[1, b.userId], [2, a.userId]]);

    const updated = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, name: '售前一组', assignmentRule: 'ROUND_ROBIN', memberIds: [c.userId, b.userId, a.userId] } }, owner.token)).serviceGroupUpdate;
    expect(updated.userErrors).toEqual([]);
    expect(updated.serviceGroup).toMatchObject({ name: '售前一组', assignmentRule: 'ROUND_ROBIN', returningCustomerFirst: true });
    expect(updated.serviceGroup.members.map((m: any) => [m.position, m.agent.id])).toEqual([[1, c.userId], [2, b.userId], [3, a.userId]]);
    // an absent field stays; the switch alone changes
    const switched = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, returningCustomerFirst: false } }, owner.token)).serviceGroupUpdate;
    expect(switched.serviceGroup).toMatchObject({ name: '售前一组', assignmentRule: 'ROUND_ROBIN', returningCustomerFirst: false });
    expect(switched.serviceGroup.members).toHaveLength(3);

    for (const name of ['售后组', '物流组', '大客户组']) await createGroup(owner.token, { name, memberIds: [a.userId, c.userId] });
    const list = await gql(server.url, `{ serviceGroups(first: 10) { totalCount nodes { name members { position agent { displayName } } } } }`, {}, owner.token);
    expect(dataOf(list).serviceGroups.nodes.map((g: any) => g.name)).toEqual(['售前一组', '售后组', '大客户组', '物流组']);
    expect(dataOf(list).serviceGroups.totalCount).toBe(4);
    // the groups, their count, then every group's members with their users: not one statement per group
    expect(list.extensions?.sqlStatements).toBeLessThanOrEqual(3);
    expect(await auditActions(owner.token)).toEqual(expect.arrayContaining(['conversations.serviceGroup.create', 'conversations.serviceGroup.update']));
  });

  it('refuses bad members by index, a taken name and an unknown group, and writes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const other = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const analyst = await createUserWithRole(server.url, owner.token, 'ANALYST');
    const leaver = await createUserWithRole(server.url, owner.token, 'AGENT');
    const deactivated = dataOf(await gql(server.url, `mutation($input: UserUpdateInput!) { userUpdate(input: $input) { userErrors { code } } }`, { input: { id: leaver.userId, version: 1, active: false } }, owner.token));
    expect(deactivated.userUpdate.userErrors).toEqual([]);

    const refused = dataOf(await gql(server.url, GROUP_CREATE, {
      input: { name: '售前组', assignmentRule: 'LEAST_LOAD', memberIds: [agent.userId, other.userId, agent.userId, leaver.userId, analyst.userId, 'bm9wZQ'] },
    }, owner.token)).serviceGroupCreate;
    expect(refused.serviceGroup).toBeNull();
    expect(refused.userErrors.map((e: any) => [e.field.join('.'), e.code])).toEqual([
      ['input.memberIds.1', 'NOT_FOUND'],
      ['input.memberIds.2', 'DUPLICATE'],
      ['input.memberIds.3', 'USER_DEACTIVATED'],
      ['input.memberIds.4', 'NOT_ALLOWED'],
      ['input.memberIds.5', 'NOT_FOUND'],
    ]);
    const blank = dataOf(await gql(server.url, GROUP_CREATE, { input: { name: '  ', assignmentRule: 'LEAST_LOAD' } }, owner.token)).serviceGroupCreate;
    expect(blank.userErrors).toEqual([expect.objectContaining({ field: ['input', 'name'], code: 'REQUIRED' })]);
    expect(dataOf(await gql(server.url, `{ serviceGroups { totalCount } }`, {}, owner.token)).serviceGroups.totalCount).toBe(0);

    const group = await createGroup(owner.token, { name: '售前组', memberIds: [agent.userId] });
    await createGroup(owner.token, { name: '售后组' });
    const taken = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, name: '售后组', memberIds: [] } }, owner.token)).serviceGroupUpdate;
    expect(taken.userErrors).toEqual([expect.objectContaining({ field: ['input', 'name'], code: 'DUPLICATE' })]);
    const badMember = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, assignmentRule: 'FILL_UP', memberIds: [analyst.userId] } }, owner.token)).serviceGroupUpdate;
    expect(badMember.userErrors).toEqual([expect.objectContaining({ field: ['input', 'memberIds', '0'], code: 'NOT_ALLOWED' })]);
    const foreign = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, name: 'x' } }, other.token)).serviceGroupUpdate;
    expect(foreign.userErrors).toEqual([expect.objectContaining({ field: ['input', 'id'], code: 'NOT_FOUND' })]);
    // nothing of the refused updates was written
    const now = dataOf(await gql(server.url, `query($id: ID!) { node(id: $id) { ... on ServiceGroup { name assignmentRule members { agent { id } } } } }`, { id: group.id }, owner.token));
    expect(now.node).toEqual({ name: '售前组', assignmentRule: 'LEAST_LOAD', members: [{ agent: { id: agent.userId } }] });
  });

  it("serves the group's queue at once when a member online with room is added", async () => {
    const desk = await setUpDesk(server.url, { agents: 1, rule: 'SEQUENTIAL' });
    const [member] = desk.agents;
    // the only member is offline: the conversation waits
    const waiting = (await startConversation(desk)).conversation;
    expect(waiting).toMatchObject({ status: 'QUEUED', assignee: null });
    // an agent of no group comes online: no queue of theirs to serve yet
    const newcomer = await createUserWithRole(server.url, desk.owner.token, 'AGENT');
    await setStatus(server.url, newcomer, 'ONLINE');
    expect(await conversationOf(desk, waiting.id)).toMatchObject({ status: 'QUEUED' });
    const updated = dataOf(await gql(server.url, GROUP_UPDATE, { input: { id: desk.groupId, memberIds: [member.userId, newcomer.userId] } }, desk.owner.token)).serviceGroupUpdate;
    expect(updated.userErrors).toEqual([]);
    expect(await conversationOf(desk, waiting.id)).toMatchObject({ status: 'ACTIVE', assignee: { id: newcomer.userId }, assignment: { rule: 'SEQUENTIAL' } });
  });

  it('is for managers: an agent reads groups but cannot create or change them', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const denied = await gql(server.url, GROUP_CREATE, { input: { name: '售前组', assignmentRule: 'LEAST_LOAD' } }, agent.token);
    expect(errorCode(denied)).toBe('FORBIDDEN');
    expect(denied.errors?.[0].extensions?.missingPermissions).toEqual(['conversations:manage']);
    const group = await createGroup(owner.token, { name: '售前组', memberIds: [agent.userId] });
    expect(errorCode(await gql(server.url, GROUP_UPDATE, { input: { id: group.id, name: '改名' } }, agent.token))).toBe('FORBIDDEN');
    expect(dataOf(await gql(server.url, `{ serviceGroups { nodes { name } } }`, {}, agent.token)).serviceGroups.nodes).toEqual([{ name: '售前组' }]);
  });
});

describe('channels', () => {
  it('creates a channel with its default group, auto-replies and business hours, reads it back and updates it field by field', async () => {
    const owner = await signUpWorkspace(server.url);
    const presale = await createGroup(owner.token, { name: '售前组' });
    const aftersale = await createGroup(owner.token, { name: '售后组' });
    const channel = await createChannel(owner.token, {
      name: '天猫旗舰店网页', type: 'WEB', receptionMode: 'BOT_FIRST', defaultGroupId: presale.id,
      autoReplies: { greeting: '您好，欢迎光临小鹿优选！', noAgentOnline: '客服已下班，请留言', queueWaitSeconds: 60, queueWaitMessage: '前面还有几位顾客，请稍候' },
      businessHours: [{ weekday: 2, from: '09:00', to: '18:00' }, { weekday: 1, from: '13:00', to: '18:00' }, { weekday: 1, from: '09:00', to: '12:00' }],
    });
    expect(channel).toMatchObject({
      name: '天猫旗舰店网页', type: 'WEB', receptionMode: 'BOT_FIRST', defaultGroup: { id: presale.id, name: '售前组' },
      autoReplies: { greeting: '您好，欢迎光临小鹿优选！', noAgentOnline: '客服已下班，请留言', queueWaitSeconds: 60, queueWaitMessage: '前面还有几位顾客，请稍候', agentSilenceSeconds: null, agentSilenceReminder: null },
      // stored in weekday and time order
      businessHours: [{ weekday: 1, from: '09:00', to: '12:00' }, { weekday: 1, from: '13:00', to: '18:00' }, { weekday: 2, from: '09:00', to: '18:00' }],
    });
    expect(channel.widgetKey).toMatch(/^wk_[A-Za-z0-9_-]{32}$/);

    const renamed = dataOf(await gql(server.url, CHANNEL_UPDATE, { input: { id: channel.id, name: '天猫网页', defaultGroupId: aftersale.id, businessHours: null } }, owner.token)).channelUpdate;
    expect(renamed.userErrors).toEqual([]);
    // the fields not given stay as they were; null business hours: always open
    expect(renamed.channel).toMatchObject({ name: '天猫网页', receptionMode: 'BOT_FIRST', defaultGroup: { name: '售后组' }, businessHours: null, autoReplies: { greeting: '您好，欢迎光临小鹿优选！' } });
    const replies = dataOf(await gql(server.url, CHANNEL_UPDATE, { input: { id: channel.id, receptionMode: 'HUMAN_ONLY', autoReplies: { agentSilenceSeconds: 120, agentSilenceReminder: '顾客等待回复已超过 2 分钟' } } }, owner.token)).channelUpdate;
    expect(replies.channel).toMatchObject({
      name: '天猫网页', receptionMode: 'HUMAN_ONLY',
      autoReplies: { greeting: null, noAgentOnline: null, queueWaitSeconds: null, queueWaitMessage: null, agentSilenceSeconds: 120, agentSilenceReminder: '顾客等待回复已超过 2 分钟' },
    });

    const read = dataOf(await gql(server.url, `query($id: ID!, $none: ID!) { channel(id: $id) { name widgetKey } none: channel(id: $none) { name } channels { totalCount nodes { name defaultGroup { name } } } }`, { id: channel.id, none: presale.id }, owner.token));
    expect(read).toEqual({ channel: { name: '天猫网页', widgetKey: channel.widgetKey }, none: null, channels: { totalCount: 1, nodes: [{ name: '天猫网页', defaultGroup: { name: '售后组' } }] } });
    expect(await auditActions(owner.token)).toEqual(expect.arrayContaining(['conversations.channel.create', 'conversations.channel.update']));
  });

  it('refuses bad auto-replies, business hours, group and names with userErrors, and writes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const other = await signUpWorkspace(server.url);
    const group = await createGroup(owner.token, { name: '售前组' });
    const foreignGroup = await createGroup(other.token, { name: '售前组' });
    const create = async (input: Record<string, unknown>) =>
      dataOf(await gql(server.url, CHANNEL_CREATE, { input: { name: '网页', type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: group.id, ...input } }, owner.token)).channelCreate;
    const codes = (payload: any) => payload.userErrors.map((e: any) => [e.field.join('.'), e.code]);

    expect(codes(await create({ defaultGroupId: foreignGroup.id }))).toEqual([['input.defaultGroupId', 'NOT_FOUND']]);
    expect(codes(await create({ autoReplies: { greeting: '好'.repeat(501), queueWaitSeconds: 0, queueWaitMessage: '请稍候', agentSilenceSeconds: 30, noAgentOnline: '  ' } }))).toEqual([
      ['input.autoReplies.greeting', 'TOO_LONG'],
      ['input.autoReplies.noAgentOnline', 'REQUIRED'],
      ['input.autoReplies.queueWaitSeconds', 'TOO_SMALL'],
    ]);
    // a delay without its text
    expect(codes(await create({ autoReplies: { agentSilenceSeconds: 30 } }))).toEqual([['input.autoReplies.agentSilenceReminder', 'REQUIRED']]);
    expect(codes(await create({ autoReplies: { greeting: '好'.repeat(500) } }))).toEqual([]);
    expect(codes(await create({
      name: '网页2',
      businessHours: [
        { weekday: 0, from: '09:00', to: '18:00' },
        { weekday: 8, from: '9:00', to: '18:00' },
        { weekday: 3, from: '09:00', to: '24:01' },
        { weekday: 3, from: '18:00', to: '09:00' },
        { weekday: 4, from: '09:00', to: '12:00' },
        { weekday: 4, from: '11:30', to: '13:00' },
        { weekday: 5, from: '12:00', to: '12:00' },
      ],
    }))).toEqual([
      ['input.businessHours.0.weekday', 'TOO_SMALL'],
      ['input.businessHours.1.weekday', 'TOO_LARGE'],
      ['input.businessHours.1.from', 'INVALID'],
      ['input.businessHours.2.to', 'INVALID'],
    ]);
    expect(codes(await create({
      name: '网页2',
      businessHours: [{ weekday: 3, from: '18:00', to: '09:00' }, { weekday: 4, from: '09:00', to: '12:00' }, { weekday: 4, from: '11:30', to: '13:00' }, { weekday: 5, from: '12:00', to: '12:00' }, { weekday: 6, from: '00:00', to: '24:00' }],
    }))).toEqual([
      ['input.businessHours.0.to', 'DATE_OUT_OF_ORDER'],
      ['input.businessHours.2', 'DATE_OUT_OF_ORDER'],
      ['input.businessHours.3.to', 'DATE_OUT_OF_ORDER'],
    ]);
    expect(codes(await create({ name: '网页' }))).toEqual([['input.name', 'DUPLICATE']]);
    // only the one good create above was written
    const listed = dataOf(await gql(server.url, `{ channels { totalCount } }`, {}, owner.token)).channels;
    expect(listed.totalCount).toBe(1);

    const [channel] = dataOf(await gql(server.url, `{ channels { nodes { id } } }`, {}, owner.token)).channels.nodes;
    const update = async (input: Record<string, unknown>, token = owner.token) => dataOf(await gql(server.url, CHANNEL_UPDATE, { input: { id: channel.id, ...input } }, token)).channelUpdate;
    expect(codes(await update({ name: '改名', defaultGroupId: foreignGroup.id }))).toEqual([['input.defaultGroupId', 'NOT_FOUND']]);
    expect(codes(await update({ name: '改名', businessHours: [{ weekday: 1, from: '10:00', to: '09:00' }] }))).toEqual([['input.businessHours.0.to', 'DATE_OUT_OF_ORDER']]);
    expect(codes(await update({ name: '改名' }, other.token))).toEqual([['input.id', 'NOT_FOUND']]);
    expect(dataOf(await gql(server.url, `query($id: ID!) { channel(id: $id) { name businessHours { weekday } } }`, { id: channel.id }, owner.token)).channel).toEqual({ name: '网页', businessHours: null });
  });

  it('is for managers: an agent cannot create or change channels, reads them, and does not see the widget key', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const group = await createGroup(owner.token, { name: '售前组' });
    const denied = await gql(server.url, CHANNEL_CREATE, { input: { name: '网页', type: 'WEB', receptionMode: 'HUMAN_FIRST', defaultGroupId: group.id } }, agent.token);
    expect(errorCode(denied)).toBe('FORBIDDEN');
    expect(denied.errors?.[0].extensions?.missingPermissions).toEqual(['conversations:manage']);
    const channel = await createChannel(owner.token, { name: '网页', defaultGroupId: group.id });
    expect(errorCode(await gql(server.url, CHANNEL_UPDATE, { input: { id: channel.id, name: '改名' } }, agent.token))).toBe('FORBIDDEN');

    const read = await gql(server.url, `query($id: ID!) { channel(id: $id) { name defaultGroup { name } widgetKey } }`, { id: channel.id }, agent.token);
    expect(read.data?.channel).toEqual({ name: '网页', defaultGroup: { name: '售前组' }, widgetKey: null });
    expect(read.errors?.[0]).toMatchObject({ path: ['channel', 'widgetKey'], extensions: { code: 'FORBIDDEN', missingPermissions: ['conversations:manage'] } });
  });
});

describe('isOpenAt (business hours in the workspace time zone)', () => {
  const hours = {
    businessHours: [
      { weekday: 1, from: '00:00', to: '09:00' }, // Monday, early
      { weekday: 7, from: '22:00', to: '24:00' }, // Sunday, late
      { weekday: 3, from: '09:00', to: '12:00' },
      { weekday: 3, from: '13:30', to: '18:00' },
    ],
  };

  it('reckons the weekday and time in the zone: Sunday 16:00 UTC is already Monday in Shanghai', () => {
    // 2026-11-29 is a Sunday; 16:00 UTC is Monday 00:00 in Asia/Shanghai (UTC+8)
    expect(isOpenAt(hours, new Date('2026-11-29T15:59:59Z'), 'Asia/Shanghai')).toBe(true); // Sunday 23:59:59, the late range
    expect(isOpenAt(hours, new Date('2026-11-29T16:00:00Z'), 'Asia/Shanghai')).toBe(true); // Monday 00:00, the early range
    expect(isOpenAt(hours, new Date('2026-11-30T00:59:59Z'), 'Asia/Shanghai')).toBe(true); // Monday 08:59:59
    expect(isOpenAt(hours, new Date('2026-11-30T01:00:00Z'), 'Asia/Shanghai')).toBe(false); // Monday 09:00: closes
    // the same instants in UTC: Sunday 15:59 and 16:00, neither in a range
    expect(isOpenAt(hours, new Date('2026-11-29T15:59:59Z'), 'UTC')).toBe(false);
    expect(isOpenAt(hours, new Date('2026-11-29T16:30:00Z'), 'UTC')).toBe(false);
    expect(isOpenAt(hours, new Date('2026-11-29T22:30:00Z'), 'UTC')).toBe(true); // Sunday 22:30 UTC
  });

  it('opens at from and closes at to, with a lunch break, and a weekday without a range is closed', () => {
    // Wednesday 2026-12-02 in Shanghai
    const at = (time: string) => isOpenAt(hours, new Date(`2026-12-02T${time}+08:00`), 'Asia/Shanghai');
    expect([at('08:59:59'), at('09:00:00'), at('11:59:59'), at('12:00:00'), at('13:29:00'), at('13:30:00'), at('17:59:59'), at('18:00:00')])
      .toEqual([false, true, true, false, false, true, true, false]);
    expect(isOpenAt(hours, new Date('2026-12-01T10:00:00+08:00'), 'Asia/Shanghai')).toBe(false); // Tuesday: no range
  });

  it('treats no business hours as always open and an empty list as always closed', () => {
    expect(isOpenAt({ businessHours: null }, new Date('2026-12-02T03:00:00+08:00'), 'Asia/Shanghai')).toBe(true);
    expect(isOpenAt({ businessHours: [] }, new Date('2026-12-02T10:00:00+08:00'), 'Asia/Shanghai')).toBe(false);
  });
});

const RULE_FIELDS = `id name position active targetGroup { id name } conditions { channels { id } sourceKeywords landingPageContains originatingPageContains regions }`;
const RULE_CREATE = `mutation($input: RoutingRuleCreateInput!) { routingRuleCreate(input: $input) { routingRule { ${RULE_FIELDS} } userErrors { field message code } } }`;
const RULE_UPDATE = `mutation($input: RoutingRuleUpdateInput!) { routingRuleUpdate(input: $input) { routingRule { ${RULE_FIELDS} } userErrors { field message code } } }`;
const RULE_DELETE = `mutation($input: RoutingRuleDeleteInput!) { routingRuleDelete(input: $input) { deletedRoutingRuleId userErrors { field message code } } }`;
const RULES = `{ routingRules { name position active } }`;

describe('routing rules', () => {
  it('creates, lists by position, updates and deletes rules', async () => {
    const owner = await signUpWorkspace(server.url);
    const presale = await createGroup(owner.token, { name: '售前组' });
    const vip = await createGroup(owner.token, { name: '大客户组' });
    const web = await createChannel(owner.token, { name: '网页', defaultGroupId: presale.id });
    const app = await createChannel(owner.token, { name: 'App', type: 'APP', defaultGroupId: presale.id });
    const create = async (input: Record<string, unknown>) => {
      const payload = dataOf(await gql(server.url, RULE_CREATE, { input: { targetGroupId: vip.id, conditions: {}, ...input } }, owner.token)).routingRuleCreate;
      expect(payload.userErrors).toEqual([]);
      return payload.routingRule;
    };
    const dresses = await create({
      name: '连衣裙搜索', position: 20,
      conditions: { channelIds: [web.id, app.id], sourceKeywords: [' 连衣裙 ', 'Dress', '连衣裙'], landingPageContains: '/activity/', regions: ['浙江', '上海'] },
    });
    expect(dresses).toMatchObject({
      name: '连衣裙搜索', position: 20, active: true, targetGroup: { id: vip.id, name: '大客户组' },
      // trimmed, each word once
      conditions: { channels: [{ id: web.id }, { id: app.id }], sourceKeywords: ['连衣裙', 'Dress'], landingPageContains: '/activity/', originatingPageContains: null, regions: ['浙江', '上海'] },
    });
    await create({ name: '全部', position: 100, targetGroupId: presale.id });
    await create({ name: '停用', position: 10, active: false, conditions: { regions: ['北京'] } });
    await create({ name: '同位后建', position: 20, conditions: { originatingPageContains: 'item.htm' } });
    expect(dataOf(await gql(server.url, RULES, {}, owner.token)).routingRules).toEqual([
      { name: '停用', position: 10, active: false }, { name: '连衣裙搜索', position: 20, active: true },
      { name: '同位后建', position: 20, active: true }, { name: '全部', position: 100, active: true },
    ]);

    const moved = dataOf(await gql(server.url, RULE_UPDATE, { input: { id: dresses.id, position: 200, active: false, targetGroupId: presale.id, conditions: { sourceKeywords: ['裙'] } } }, owner.token)).routingRuleUpdate;
    expect(moved.userErrors).toEqual([]);
    expect(moved.routingRule).toMatchObject({ name: '连衣裙搜索', position: 200, active: false, targetGroup: { name: '售前组' }, conditions: { channels: [], sourceKeywords: ['裙'], landingPageContains: null, regions: [] } });
    const deleted = dataOf(await gql(server.url, RULE_DELETE, { input: { id: dresses.id } }, owner.token)).routingRuleDelete;
    expect(deleted).toEqual({ deletedRoutingRuleId: dresses.id, userErrors: [] });
    expect(dataOf(await gql(server.url, RULES, {}, owner.token)).routingRules.map((r: any) => r.name)).toEqual(['停用', '同位后建', '全部']);
    expect(await auditActions(owner.token)).toEqual(expect.arrayContaining(['conversations.routingRule.create', 'conversations.routingRule.update', 'conversations.routingRule.delete']));
  });

  it("refuses a target group or channel of another workspace (NOT_FOUND on that field) and writes nothing", async () => {
    const owner = await signUpWorkspace(server.url);
    const other = await signUpWorkspace(server.url);
    const group = await createGroup(owner.token, { name: '售前组' });
    const foreignGroup = await createGroup(other.token, { name: '售前组' });
    const foreignChannel = await createChannel(other.token, { name: '网页', defaultGroupId: foreignGroup.id });
    const channel = await createChannel(owner.token, { name: '网页', defaultGroupId: group.id });
    const create = async (input: Record<string, unknown>, token = owner.token) =>
      dataOf(await gql(server.url, RULE_CREATE, { input: { name: '规则', position: 1, conditions: {}, targetGroupId: group.id, ...input } }, token)).routingRuleCreate;
    const codes = (payload: any) => payload.userErrors.map((e: any) => [e.field.join('.'), e.code]);

    const foreignTarget = await create({ targetGroupId: foreignGroup.id });
    expect(foreignTarget.routingRule).toBeNull();
    expect(codes(foreignTarget)).toEqual([['input.targetGroupId', 'NOT_FOUND']]);
    expect(codes(await create({ targetGroupId: channel.id }))).toEqual([['input.targetGroupId', 'NOT_FOUND']]); // an id of another type
    expect(codes(await create({ conditions: { channelIds: [channel.id, foreignChannel.id, 'bm9wZQ'] } }))).toEqual([
      ['input.conditions.channelIds.1', 'NOT_FOUND'], ['input.conditions.channelIds.2', 'NOT_FOUND'],
    ]);
    expect(codes(await create({ name: ' ', position: -1, conditions: { sourceKeywords: ['  '], landingPageContains: 'x'.repeat(501) } }))).toEqual([
      ['input.name', 'REQUIRED'], ['input.position', 'TOO_SMALL'], ['input.conditions.sourceKeywords', 'REQUIRED'], ['input.conditions.landingPageContains', 'TOO_LONG'],
    ]);
    expect(dataOf(await gql(server.url, RULES, {}, owner.token)).routingRules).toEqual([]);

    const rule = (await create({ conditions: { channelIds: [channel.id] } })).routingRule;
    const update = async (input: Record<string, unknown>, token = owner.token) =>
      dataOf(await gql(server.url, RULE_UPDATE, { input: { id: rule.id, ...input } }, token)).routingRuleUpdate;
    expect(codes(await update({ name: '改名', targetGroupId: foreignGroup.id }))).toEqual([['input.targetGroupId', 'NOT_FOUND']]);
    expect(codes(await update({ name: '改名', conditions: { channelIds: [foreignChannel.id] } }))).toEqual([['input.conditions.channelIds.0', 'NOT_FOUND']]);
    expect(codes(await update({ name: '改名' }, other.token))).toEqual([['input.id', 'NOT_FOUND']]);
    expect(codes(dataOf(await gql(server.url, RULE_DELETE, { input: { id: rule.id } }, other.token)).routingRuleDelete)).toEqual([['input.id', 'NOT_FOUND']]);
    const kept = dataOf(await gql(server.url, `{ routingRules { name targetGroup { id } conditions { channels { id } } } }`, {}, owner.token)).routingRules;
    expect(kept).toEqual([{ name: '规则', targetGroup: { id: group.id }, conditions: { channels: [{ id: channel.id }] } }]);
    // the other workspace sees none of it
    expect(dataOf(await gql(server.url, RULES, {}, other.token)).routingRules).toEqual([]);
  });

  it('is for managers: an agent reads the rules but cannot change them', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const group = await createGroup(owner.token, { name: '售前组' });
    const denied = await gql(server.url, RULE_CREATE, { input: { name: '规则', position: 1, conditions: {}, targetGroupId: group.id } }, agent.token);
    expect(errorCode(denied)).toBe('FORBIDDEN');
    expect(dataOf(await gql(server.url, RULES, {}, agent.token)).routingRules).toEqual([]);
  });
});

describe('matchRoutingRule', () => {
  let seq = 0;
  const rule = (name: string, position: number, conditions: Record<string, unknown>, active = true) => ({
    id: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`, name, position, active, conditions, createdAt: new Date(Date.UTC(2026, 10, 30, 0, 0, seq)),
  });
  /** A conversation on channel `web` unless another is given, with its visitor's context. */
  const context = (extra: Partial<RoutingContext> = {}): RoutingContext => ({ channelId: 'web', ...extra });

  it('takes the first active rule by position (then creation) whose every given condition matches', () => {
    const rules = [
      rule('catch-all', 100, {}),
      rule('dresses on web', 10, { channelIds: ['web', 'wechat'], sourceKeywords: ['连衣裙', 'Dress'] }),
      rule('off', 1, { sourceKeywords: ['连衣裙'] }, false),
      rule('zhejiang dresses', 10, { sourceKeywords: ['连衣裙'], regions: ['浙江'] }),
    ];
    const name = (ctx: RoutingContext) => matchRoutingRule(rules, ctx)?.name ?? null;
    // the inactive rule at position 1 is skipped; of the two at 10, the one created first
    expect(name(context({ sourceKeyword: '夏季 碎花连衣裙', region: '浙江省' }))).toBe('dresses on web');
    // keyword contained, case-insensitive
    expect(name(context({ sourceKeyword: 'summer DRESSES' }))).toBe('dresses on web');
    // the channel condition fails: the next rule at 10 (region prefix) or the catch-all
    expect(name(context({ channelId: 'app', sourceKeyword: '连衣裙', region: '浙江省杭州市' }))).toBe('zhejiang dresses');
    expect(name(context({ channelId: 'app', sourceKeyword: '连衣裙', region: '江苏' }))).toBe('catch-all');
    // a rule with keywords does not match a visitor without one
    expect(name(context({ region: '浙江' }))).toBe('catch-all');
    expect(matchRoutingRule(rules.filter((r) => r.name !== 'catch-all'), context({ sourceKeyword: 'T恤' }))).toBeNull();
  });

  it('matches landing and originating pages as text contained, and an empty condition as anything', () => {
    const rules = [
      rule('double 11 landing', 1, { landingPageContains: '/Activity/Double11', sourceKeywords: [], regions: [], channelIds: [] }),
      rule('item pages', 2, { originatingPageContains: 'item.htm', landingPageContains: null }),
    ];
    const name = (ctx: RoutingContext) => matchRoutingRule(rules, ctx)?.name ?? null;
    expect(name(context({ landingPage: 'https://shop.example/activity/double11?from=search' }))).toBe('double 11 landing');
    expect(name(context({ landingPage: 'https://shop.example/', originatingPage: 'https://detail.example/item.htm?id=1' }))).toBe('item pages');
    expect(name(context({ landingPage: 'https://shop.example/' }))).toBeNull();
    expect(matchRoutingRule([], context())).toBeNull();
  });
});

const SETTINGS = `{ conversationSettings { ratingTags reassignAfterSilenceSeconds } }`;
const SETTINGS_UPDATE = `mutation($input: ConversationSettingsUpdateInput!) { conversationSettingsUpdate(input: $input) {
  conversationSettings { ratingTags reassignAfterSilenceSeconds } userErrors { field message code } } }`;
const DEFAULT_RATING_TAGS = ['服务热情', '回复及时', '问题已解决', '专业耐心', '回复太慢', '问题未解决', '态度不好'];

describe('conversation settings', () => {
  it('read as the defaults without writing a row; made once by the first change, even by many at once; updated field by field', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const settingsRows = async () => (await adminQuery(
      `select count(*)::int as n from conversation_settings where workspace_id = $1`, server.databaseName, [parseGlobalId(owner.workspaceId)!.id])).rows[0].n;
    // reads answer the defaults and write nothing
    const reads = await Promise.all(Array.from({ length: 4 }, (_, i) => gql(server.url, SETTINGS, {}, i % 2 ? agent.token : owner.token)));
    for (const read of reads) expect(dataOf(read).conversationSettings).toEqual({ ratingTags: DEFAULT_RATING_TAGS, reassignAfterSilenceSeconds: null });
    expect(await settingsRows()).toBe(0);
    // six first changes at once: all succeed, one row is made
    const firsts = await Promise.all(Array.from({ length: 6 }, (_, i) => gql(server.url, SETTINGS_UPDATE, { input: { reassignAfterSilenceSeconds: 60 + i } }, owner.token)));
    for (const first of firsts) expect(dataOf(first).conversationSettingsUpdate.userErrors).toEqual([]);
    expect(await settingsRows()).toBe(1);

    const changed = dataOf(await gql(server.url, SETTINGS_UPDATE, { input: { ratingTags: [' 很满意 ', '一般', '不满意'], reassignAfterSilenceSeconds: 300 } }, owner.token)).conversationSettingsUpdate;
    expect(changed).toEqual({ conversationSettings: { ratingTags: ['很满意', '一般', '不满意'], reassignAfterSilenceSeconds: 300 }, userErrors: [] });
    // absent: kept; null: reassignment off
    const off = dataOf(await gql(server.url, SETTINGS_UPDATE, { input: { reassignAfterSilenceSeconds: null } }, owner.token)).conversationSettingsUpdate;
    expect(off.conversationSettings).toEqual({ ratingTags: ['很满意', '一般', '不满意'], reassignAfterSilenceSeconds: null });
    expect(dataOf(await gql(server.url, SETTINGS, {}, agent.token)).conversationSettings.ratingTags).toEqual(['很满意', '一般', '不满意']);
    expect(await auditActions(owner.token)).toContain('conversations.settings.update');
  });

  it('refuses bad tags and delays and lets only managers change them', async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const update = async (input: Record<string, unknown>) =>
      dataOf(await gql(server.url, SETTINGS_UPDATE, { input }, owner.token)).conversationSettingsUpdate.userErrors.map((e: any) => [e.field.join('.'), e.code]);
    expect(await update({ ratingTags: ['好', ' 好'], reassignAfterSilenceSeconds: 60 })).toEqual([['input.ratingTags.1', 'DUPLICATE']]);
    expect(await update({ ratingTags: ['好'.repeat(21)], reassignAfterSilenceSeconds: 0 })).toEqual([['input.ratingTags', 'TOO_LONG'], ['input.reassignAfterSilenceSeconds', 'TOO_SMALL']]);
    expect(await update({ ratingTags: [' '] })).toEqual([['input.ratingTags', 'REQUIRED']]);
    expect(dataOf(await gql(server.url, SETTINGS, {}, owner.token)).conversationSettings).toEqual({ ratingTags: DEFAULT_RATING_TAGS, reassignAfterSilenceSeconds: null });
    const denied = await gql(server.url, SETTINGS_UPDATE, { input: { reassignAfterSilenceSeconds: 60 } }, agent.token);
    expect(errorCode(denied)).toBe('FORBIDDEN');
  });
});

const REPLY_FIELDS = `id scope title content shortcut category`;
const REPLY_CREATE = `mutation($input: QuickReplyCreateInput!) { quickReplyCreate(input: $input) { quickReply { ${REPLY_FIELDS} } userErrors { field message code } } }`;
const REPLY_UPDATE = `mutation($input: QuickReplyUpdateInput!) { quickReplyUpdate(input: $input) { quickReply { ${REPLY_FIELDS} } userErrors { field message code } } }`;
const REPLY_DELETE = `mutation($input: QuickReplyDeleteInput!) { quickReplyDelete(input: $input) { deletedQuickReplyId userErrors { field message code } } }`;
const REPLIES = `query($category: String, $search: String) { quickReplies(first: 50, category: $category, search: $search) { totalCount nodes { title scope } } }`;

describe('quick replies', () => {
  it("lists the workspace's and the caller's own, by category and search; agents keep their own, managers the workspace's", async () => {
    const owner = await signUpWorkspace(server.url);
    const manager = await createUserWithRole(server.url, owner.token, 'MANAGER');
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const colleague = await createUserWithRole(server.url, owner.token, 'AGENT');
    const create = async (token: string, input: Record<string, unknown>) => {
      const payload = dataOf(await gql(server.url, REPLY_CREATE, { input }, token)).quickReplyCreate;
      expect(payload.userErrors).toEqual([]);
      return payload.quickReply;
    };
    const hello = await create(manager.token, { scope: 'WORKSPACE', title: '问候', content: '您好，很高兴为您服务！', shortcut: 'Hello', category: '通用' });
    expect(hello).toMatchObject({ scope: 'WORKSPACE', title: '问候', shortcut: 'hello', category: '通用' });
    await create(manager.token, { scope: 'WORKSPACE', title: '发货时间', content: '下单后 48 小时内发货，100% 准时', shortcut: 'ship', category: '物流' });
    // personal is the default scope
    const mine = await create(agent.token, { title: '我的结束语', content: '感谢您的耐心，祝您生活愉快', shortcut: 'bye' });
    expect(mine).toMatchObject({ scope: 'PERSONAL', category: null });
    // the same shortcut in another scope (a colleague's own, or the caller's own beside the workspace's) is free
    await create(colleague.token, { title: '同事的结束语', content: '再见', shortcut: 'bye', category: '通用' });
    await create(agent.token, { title: '我的问候', content: '亲，在的', shortcut: 'hello', category: '通用' });

    const list = async (token: string, variables: Record<string, unknown> = {}) =>
      dataOf(await gql(server.url, REPLIES, variables, token)).quickReplies.nodes.map((n: any) => `${n.scope}:${n.title}`);
    expect(await list(agent.token)).toEqual(['PERSONAL:我的结束语', 'PERSONAL:我的问候', 'WORKSPACE:发货时间', 'WORKSPACE:问候'].sort(byTitle));
    expect(await list(agent.token, { category: '通用' })).toEqual(['PERSONAL:我的问候', 'WORKSPACE:问候'].sort(byTitle));
    expect(await list(agent.token, { search: '感谢' })).toEqual(['PERSONAL:我的结束语']);
    expect(await list(agent.token, { search: 'SHIP' })).toEqual(['WORKSPACE:发货时间']);
    // % is text, not a wildcard
    expect(await list(agent.token, { search: '100%' })).toEqual(['WORKSPACE:发货时间']);
    expect(await list(colleague.token)).toEqual(['PERSONAL:同事的结束语', 'WORKSPACE:发货时间', 'WORKSPACE:问候'].sort(byTitle));
    const tooLong = await gql(server.url, REPLIES, { search: '长'.repeat(101) }, agent.token);
    expect(tooLong.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: ['search'] });

    const edited = dataOf(await gql(server.url, REPLY_UPDATE, { input: { id: mine.id, content: '感谢您的耐心！', shortcut: null, category: '售后' } }, agent.token)).quickReplyUpdate;
    expect(edited).toEqual({ quickReply: { ...mine, content: '感谢您的耐心！', shortcut: null, category: '售后' }, userErrors: [] });
    const managed = dataOf(await gql(server.url, REPLY_UPDATE, { input: { id: hello.id, title: '开场问候' } }, manager.token)).quickReplyUpdate;
    expect(managed.quickReply).toMatchObject({ title: '开场问候', shortcut: 'hello' });
    expect(dataOf(await gql(server.url, REPLY_DELETE, { input: { id: mine.id } }, agent.token)).quickReplyDelete).toEqual({ deletedQuickReplyId: mine.id, userErrors: [] });
    expect(await list(agent.token, { search: '感谢' })).toEqual([]);
    expect(await auditActions(owner.token)).toEqual(expect.arrayContaining(['conversations.quickReply.create', 'conversations.quickReply.update', 'conversations.quickReply.delete']));
  });

  it("refuses a taken shortcut in the same scope, others' personal replies and workspace ones for agents", async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const colleague = await createUserWithRole(server.url, owner.token, 'AGENT');
    const analyst = await createUserWithRole(server.url, owner.token, 'ANALYST');
    const create = async (token: string, input: Record<string, unknown>) => dataOf(await gql(server.url, REPLY_CREATE, { input }, token)).quickReplyCreate;
    const codes = (payload: any) => payload.userErrors.map((e: any) => [e.field.join('.'), e.code]);

    const workspaceReply = (await create(owner.token, { scope: 'WORKSPACE', title: '问候', content: '您好', shortcut: 'hi' })).quickReply;
    const taken = await create(owner.token, { scope: 'WORKSPACE', title: '问候2', content: '您好', shortcut: 'HI' });
    expect(codes(taken)).toEqual([['input.shortcut', 'DUPLICATE']]);
    expect(taken.userErrors[0].message).toContain('问候');
    const mine = (await create(agent.token, { title: '结束语', content: '再见', shortcut: 'bye' })).quickReply;
    expect(codes(await create(agent.token, { title: '结束语2', content: '再见', shortcut: 'Bye' }))).toEqual([['input.shortcut', 'DUPLICATE']]);
    const other = (await create(agent.token, { title: '其他', content: '稍等', shortcut: 'wait' })).quickReply;
    expect(codes(dataOf(await gql(server.url, REPLY_UPDATE, { input: { id: other.id, shortcut: 'BYE' } }, agent.token)).quickReplyUpdate)).toEqual([['input.shortcut', 'DUPLICATE']]);
    expect(codes(await create(agent.token, { title: ' ', content: '', shortcut: 'two words', category: 'x'.repeat(51) }))).toEqual([
      ['input.title', 'REQUIRED'], ['input.content', 'REQUIRED'], ['input.shortcut', 'INVALID'], ['input.category', 'TOO_LONG'],
    ]);

    // a colleague's personal reply is not there for anyone else to change
    const update = async (token: string, id: string) => dataOf(await gql(server.url, REPLY_UPDATE, { input: { id, title: '改' } }, token)).quickReplyUpdate;
    expect(codes(await update(colleague.token, mine.id))).toEqual([['input.id', 'NOT_FOUND']]);
    expect(codes(dataOf(await gql(server.url, REPLY_DELETE, { input: { id: mine.id } }, colleague.token)).quickReplyDelete)).toEqual([['input.id', 'NOT_FOUND']]);
    // agents neither create nor change the workspace's; analysts keep none
    expect(errorCode(await gql(server.url, REPLY_CREATE, { input: { scope: 'WORKSPACE', title: '问候', content: '您好' } }, agent.token))).toBe('FORBIDDEN');
    expect(errorCode(await gql(server.url, REPLY_UPDATE, { input: { id: workspaceReply.id, title: '改' } }, agent.token))).toBe('FORBIDDEN');
    expect(errorCode(await gql(server.url, REPLY_DELETE, { input: { id: workspaceReply.id } }, agent.token))).toBe('FORBIDDEN');
    expect(errorCode(await gql(server.url, REPLY_CREATE, { input: { title: '问候', content: '您好' } }, analyst.token))).toBe('FORBIDDEN');
    // nothing refused was written
    const titles = dataOf(await gql(server.url, REPLIES, {}, agent.token)).quickReplies.nodes.map((n: any) => n.title);
    expect(titles).toEqual(['结束语', '其他', '问候'].sort(byTitle));

    // an API key keeps no personal replies, and does not see its creator's
    expect(codes(await create(owner.token, { title: '店主自己的', content: '稍等' }))).toEqual([]);
    const key = await createApiKey(server.url, owner.token, ['conversations:write']);
    expect(codes(await create(key.secret, { title: '接口', content: '您好' }))).toEqual([['input.scope', 'NOT_ALLOWED']]);
    expect(dataOf(await gql(server.url, REPLIES, {}, key.secret)).quickReplies.nodes.map((n: any) => n.title)).toEqual(['问候']);

    // creates at the same moment: the unique index lets one through, the others are DUPLICATE
    const racing = await Promise.all(Array.from({ length: 6 }, (_, i) => create(colleague.token, { title: `抢 ${i}`, content: '您好', shortcut: `Race` })));
    expect(racing.filter((p) => p.quickReply).length).toBe(1);
    expect(racing.filter((p) => p.userErrors[0]?.code === 'DUPLICATE').length).toBe(5);
  });

  it("node(id) and nodes(ids) give a personal reply to its owner only: null for a colleague, the workspace's owner and an API key", async () => {
    const owner = await signUpWorkspace(server.url);
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const colleague = await createUserWithRole(server.url, owner.token, 'AGENT');
    const key = await createApiKey(server.url, owner.token, ['conversations:manage']);
    const create = async (token: string, input: Record<string, unknown>) => {
      const payload = dataOf(await gql(server.url, REPLY_CREATE, { input }, token)).quickReplyCreate;
      expect(payload.userErrors).toEqual([]);
      return payload.quickReply;
    };
    const mine = await create(agent.token, { title: '我的结束语', content: '我的微信是 lin-2024，加我', shortcut: 'bye' });
    const shared = await create(owner.token, { scope: 'WORKSPACE', title: '问候', content: '您好' });
    const byId = async (token: string, id: string) => {
      const response = await gql(server.url, `query($id: ID!) { node(id: $id) { ... on QuickReply { ${REPLY_FIELDS} } } }`, { id }, token);
      expect(response.errors).toBeUndefined();
      return response.data!.node;
    };
    const byIds = async (token: string) =>
      dataOf(await gql(server.url, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on QuickReply { id } } }`, { ids: [mine.id, shared.id] }, token)).nodes;

    expect(await byId(agent.token, mine.id)).toEqual(mine);
    for (const token of [colleague.token, owner.token, key.secret]) {
      expect(await byId(token, mine.id)).toBeNull();
      expect(await byId(token, shared.id)).toEqual(shared);
      expect(await byIds(token)).toEqual([null, { id: shared.id }]);
    }
    expect(await byIds(agent.token)).toEqual([{ id: mine.id }, { id: shared.id }]);
  });
});
