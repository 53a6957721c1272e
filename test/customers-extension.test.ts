import { PERSONAL_DATA, type PersonalDataHandler } from '../modules/customers';
import { defineModule } from '../src/kernel/module';
import { dataOf, gql } from './support/client';
import { createCustomer } from './customers-fixtures';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * The `customers.personalData` extension point, as a later module (conversations, after-sales) will use it: a
 * second module's handler is part of every export, erase and merge, and a failing handler rolls the whole change back.
 */
const calls: string[] = [];
let failErase = false;
const ticketsPersonalData: PersonalDataHandler = {
  async export(_ctx, customerId) {
    return { tickets: [{ customerId, text: '退货咨询' }] };
  },
  async erase(_uow, customerId) {
    calls.push(`erase ${customerId}`);
    if (failErase) throw new Error('tickets could not be erased');
  },
  async merge(_uow, keepId, mergeId) {
    calls.push(`merge ${mergeId} into ${keepId}`);
  },
};
const ticketsModule = defineModule({ name: 'tickets', entities: [], resolvers: [], permissions: [], contributes: { [PERSONAL_DATA]: ticketsPersonalData } });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ extraModules: [ticketsModule], env: { LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await server?.stop();
});

const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];

it('joins every export, erase and merge; a failing handler undoes the erase', async () => {
  const owner = await signUpWorkspace(server.url);
  const crm = await createUserWithRole(server.url, owner.token, 'CRM_SPECIALIST');
  const keep = await createCustomer(server.url, crm.token, { name: '周杰', phone: '13900001111' });
  const other = await createCustomer(server.url, crm.token, { name: '周杰(重复)', phone: '13900002222' });

  const exported = dataOf(await gql(server.url, `query($id: ID!) { customerDataExport(id: $id) }`, { id: keep.id }, owner.token)).customerDataExport;
  expect(exported.tickets).toEqual([{ customerId: uuidOf(keep.id), text: '退货咨询' }]);
  expect(exported.customer.name).toBe('周杰');

  const merge = `mutation($input: CustomerMergeInput!) { customerMerge(input: $input) { customer { id } userErrors { code } } }`;
  dataOf(await gql(server.url, merge, { input: { keepId: keep.id, mergeId: other.id } }, crm.token));
  expect(calls).toContain(`merge ${uuidOf(other.id)} into ${uuidOf(keep.id)}`);

  const erase = `mutation($id: ID!) { customerErase(input: { id: $id }) { customer { name erasedAt } userErrors { code } } }`;
  failErase = true;
  const failed = await gql(server.url, erase, { id: keep.id }, crm.token);
  expect(failed.errors?.[0].extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  const stillThere = dataOf(await gql(server.url, `query($id: ID!) { customer(id: $id) { name erasedAt } }`, { id: keep.id }, owner.token)).customer;
  expect(stillThere).toEqual({ name: '周杰', erasedAt: null });

  failErase = false;
  const erased = dataOf(await gql(server.url, erase, { id: keep.id }, crm.token)).customerErase;
  expect(erased.customer.erasedAt).toBeTruthy();
  expect(calls.filter((c) => c === `erase ${uuidOf(keep.id)}`)).toHaveLength(2);
});
