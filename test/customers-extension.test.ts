import { featureModules } from '../modules';
import { Customer, Order, PERSONAL_DATA, type PersonalDataHandler } from '../modules/customers';
import { contribute } from '../src/kernel/extension-points';
import { defineModule } from '../src/kernel/module';
import { dataOf, gql } from './support/client';
import { createCustomer, ORDER_UPSERT, order, search } from './customers-fixtures';
import { createUserWithRole, signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * The `customers.personalData` extension point, as a later module (conversations, after-sales) will use it: a
 * second module's handler is part of every export, erase and merge, and a failing handler rolls the whole change back.
 * The tickets module is registered before customers, so nothing here holds only while customers comes first.
 */
const calls: string[] = [];
/** What the kept customer looked like to the tickets module's merge handler when it ran. */
const seenByMerge: Array<{ phone?: string; email?: string; orderCount: number }> = [];
let failErase = false;
const ticketsPersonalData: PersonalDataHandler = {
  async export(_ctx, customerId) {
    return { tickets: [{ customerId, text: '退货咨询' }] };
  },
  async erase(_uow, customerId) {
    calls.push(`erase ${customerId}`);
    if (failErase) throw new Error('tickets could not be erased');
  },
  async merge(tx, keepId, mergeId) {
    calls.push(`merge ${mergeId} into ${keepId}`);
    const keep = await tx.em.findOneOrFail(Customer, keepId);
    seenByMerge.push({ phone: keep.phone, email: keep.email, orderCount: await tx.em.count(Order, { customer: keepId }) });
  },
};
const ticketsModule = defineModule({ name: 'tickets', entities: [], resolvers: [], permissions: [], contributes: [contribute(PERSONAL_DATA, ticketsPersonalData)] });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ modules: [ticketsModule, ...featureModules] });
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

it("runs other modules' merge handlers after the customer's own merge, whatever the registry order", async () => {
  const owner = await signUpWorkspace(server.url);
  const keep = await createCustomer(server.url, owner.token, { name: '黄蓉' });
  const dupe = await createCustomer(server.url, owner.token, {
    name: '黄蓉', nickname: '蓉儿', phone: '13900003333', email: 'huangrong@example.com', externalIds: [{ platform: 'jd', value: 'jd_huangrong' }],
  });
  dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: dupe.id, totalAmount: '20.00', items: [] }) }, owner.token));
  seenByMerge.length = 0;

  const merge = `mutation($input: CustomerMergeInput!) { customerMerge(input: $input) {
    customer { id phone email nickname externalIds { value } orderStats { orderCount } } userErrors { code } } }`;
  const merged = dataOf(await gql(server.url, merge, { input: { keepId: keep.id, mergeId: dupe.id } }, owner.token)).customerMerge;
  expect(merged).toEqual({
    customer: { id: keep.id, phone: '13900003333', email: 'huangrong@example.com', nickname: '蓉儿', externalIds: [{ value: 'jd_huangrong' }], orderStats: { orderCount: 1 } },
    userErrors: [],
  });
  // The tickets handler ran once the kept customer had taken the merged one's contact details and orders.
  expect(seenByMerge).toEqual([{ phone: '13900003333', email: 'huangrong@example.com', orderCount: 1 }]);
  expect((await search(server.url, owner.token, { search: 'jd_huangrong' })).nodes.map((n: any) => n.id)).toEqual([keep.id]);
});
