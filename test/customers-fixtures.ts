import { dataOf, gql } from './support/client';

/** Shared GraphQL documents and helpers of the customers test files. */
export const CUSTOMER_FIELDS = `id customerNo kind name nickname phone email province city birthday gender version erasedAt
  externalIds { platform value } tags { id name group }`;

export const CUSTOMER_CREATE = `mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { ${CUSTOMER_FIELDS} } userErrors { field message code } } }`;
export const CUSTOMER_UPDATE = `mutation($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) { customer { ${CUSTOMER_FIELDS} } userErrors { field message code } } }`;
export const CUSTOMER = `query($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
export const SEARCH = `query($filter: CustomerFilter, $first: Int, $after: String, $sort: CustomerSort) {
  customers(filter: $filter, first: $first, after: $after, sort: $sort) {
    totalCount nodes { id customerNo name phone } pageInfo { hasNextPage endCursor } } }`;
export const ORDER_UPSERT = `mutation($input: OrderInput!) {
  orderUpsert(input: $input) { created order { id orderNo totalAmount { amount currency } status items { sku quantity unitPrice { amount currency } } customer { id customerNo } }
  userErrors { field message code } } }`;
export const ORDERS_IMPORT = `mutation($input: OrdersImportInput!) {
  ordersImport(input: $input) { importedCount createdCustomers userErrors { index field message code } } }`;
export const TAG_CREATE = `mutation($input: TagCreateInput!) { tagCreate(input: $input) { tag { id name group kind color } userErrors { field message code } } }`;

/** Creates a customer and fails the test on userErrors. */
export async function createCustomer(url: string, token: string, input: Record<string, unknown>): Promise<any> {
  const result = dataOf(await gql(url, CUSTOMER_CREATE, { input }, token)).customerCreate;
  if (result.userErrors.length) throw new Error(JSON.stringify(result.userErrors));
  return result.customer;
}

export async function createTag(url: string, token: string, input: Record<string, unknown>): Promise<any> {
  const result = dataOf(await gql(url, TAG_CREATE, { input }, token)).tagCreate;
  if (result.userErrors.length) throw new Error(JSON.stringify(result.userErrors));
  return result.tag;
}

export async function search(url: string, token: string, filter: Record<string, unknown>, first = 100): Promise<any> {
  return dataOf(await gql(url, SEARCH, { filter, first }, token)).customers;
}

/** A valid order row for upsert and import, overridable field by field. */
export function order(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    platform: 'taobao', externalId: `T${Math.random().toString(36).slice(2, 12)}`, status: 'COMPLETED', totalAmount: '199.00',
    currency: 'CNY', placedAt: '2025-03-01T10:00:00Z',
    items: [{ sku: 'SKU-1', title: '婴儿纸尿裤', category: '母婴', brand: '好奇', quantity: 1, unitPrice: '199.00' }],
    ...overrides,
  };
}
