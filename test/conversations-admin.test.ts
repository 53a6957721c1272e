import { dataOf, errorCode, gql } from './support/client';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

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
