import {
  GraphQLObjectType, GraphQLSchema, GraphQLString, getNamedType, isAbstractType, isObjectType, type GraphQLNamedType,
  type GraphQLResolveInfo,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import type { Principal } from '../src/auth/principal';
import { applyReadRules, isStructuralType } from '../src/auth/read-access';
import { Role } from '../src/auth/roles';
import type { RequestContext } from '../src/context';
import { ModuleRegistry } from '../src/kernel/module';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { buildAppSchema } from '../src/server/schema';
import { dataOf, gql, subscribe } from './support/client';
import { createCustomer } from './customers-fixtures';
import { createApiKey, createUserWithRole, PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'] as const;

/**
 * The permissions each root field asks for with @Authorized, from type-graphql's metadata: `undefined` for a field
 * anyone may call (login, signUp, me, permissions), [] for "any principal".
 */
function rootFieldPermissions(): Map<string, string[] | undefined> {
  const storage = getMetadataStorage();
  const result = new Map<string, string[] | undefined>();
  const kinds = { Query: storage.queries, Mutation: storage.mutations, Subscription: storage.subscriptions };
  for (const [root, definitions] of Object.entries(kinds)) {
    for (const definition of definitions) {
      const authorized =
        storage.authorizedFields.find((a) => a.target === definition.target && a.fieldName === definition.methodName) ??
        storage.authorizedResolver.find((a) => a.target === definition.target);
      result.set(`${root}.${definition.schemaName}`, authorized?.roles as string[] | undefined);
    }
  }
  return result;
}

interface Walk {
  /** Types the scope reaches without holding their permission, each with the fields that lead into it. */
  crossings: Map<string, string[]>;
  /** Such types that an object of would still be shown: the leaks this test exists to catch. */
  violations: string[];
}

/** A reader holding exactly these permissions, reading a record that is not its own. */
function readerWith(permissions: Set<string>): RequestContext {
  const user = { id: 'reader-creator', email: 'creator@example.com', displayName: 'Creator', role: Role.OWNER, active: true, version: 1, createdAt: new Date(), updatedAt: new Date() };
  const reader: Principal = { kind: 'API_KEY', workspaceId: 'reader-workspace', userId: user.id, apiKeyId: 'reader-key', role: Role.OWNER, permissions, user };
  return { reader } as unknown as RequestContext;
}

/**
 * Walks the schema as a caller holding `permissions` could: from the root fields it may call, through every field
 * (every possible type behind an interface), to every object type it can reach. A reached type whose permission it
 * lacks must refuse it: its installed check (the one the server runs) is asked about a record not the reader's own
 * and must throw FORBIDDEN naming the permission. Anything else is a violation.
 */
function walk(schema: GraphQLSchema, registry: ModuleRegistry, permissions: Set<string>, rootPermissions: Map<string, string[] | undefined>): Walk {
  const crossings = new Map<string, string[]>();
  const violations: string[] = [];
  const paths = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: Array<{ type: GraphQLNamedType; via: string }> = [];
  const reach = (type: GraphQLNamedType, via: string) => {
    for (const possible of isAbstractType(type) ? schema.getPossibleTypes(type) : [type]) {
      if (!isObjectType(possible)) continue;
      if (!paths.has(possible.name)) paths.set(possible.name, []);
      paths.get(possible.name)!.push(via);
      if (!seen.has(possible.name)) {
        seen.add(possible.name);
        queue.push({ type: possible, via });
      }
    }
  };
  const roots = { Query: schema.getQueryType(), Mutation: schema.getMutationType(), Subscription: schema.getSubscriptionType() };
  for (const root of ROOT_TYPES) {
    for (const field of Object.values(roots[root]?.getFields() ?? {})) {
      const required = rootPermissions.get(`${root}.${field.name}`);
      if (required === undefined && !rootPermissions.has(`${root}.${field.name}`)) violations.push(`${root}.${field.name} has no metadata`);
      if ((required ?? []).every((p) => permissions.has(p))) reach(getNamedType(field.type), `${root}.${field.name}`);
    }
  }
  while (queue.length) {
    const { type, via } = queue.shift()! as { type: GraphQLObjectType; via: string };
    if (!isStructuralType(type.name) && !registry.openTypes.has(type.name)) {
      const rule = registry.readRules.get(type.name);
      if (!rule) violations.push(`${type.name} (via ${via}) has no read rule`);
      else if (!permissions.has(rule.permission)) {
        crossings.set(type.name, paths.get(type.name)!); // the same array: paths found later join it
        let refusal: any;
        try {
          const shown = type.isTypeOf?.({ id: 'not-the-readers-own' }, readerWith(permissions), {} as GraphQLResolveInfo);
          if (shown) refusal = 'shown';
        } catch (error) {
          refusal = error;
        }
        if (refusal?.extensions?.code !== 'FORBIDDEN' || refusal.extensions.missingPermissions?.join() !== rule.permission) {
          violations.push(`${type.name} (via ${via}) is shown without ${rule.permission}`);
        }
      }
    }
    // Own records are shown without the permission, so what lies beyond a refused type is walked too.
    for (const field of Object.values(type.getFields())) reach(getNamedType(field.type), `${type.name}.${field.name}`);
  }
  return { crossings, violations };
}

describe('the read rule, checked by walking the schema', () => {
  const registry = createRegistry(featureModules);
  const schema = buildAppSchema(registry);
  const rootPermissions = rootFieldPermissions();
  const scopes = [...registry.permissions.values()].filter((p) => p.scopable).map((p) => p.name);

  it('refuses every object type an API-key scope reaches without holding its permission', () => {
    expect(scopes.length).toBeGreaterThan(3);
    const crossingsByScope: Record<string, Record<string, string[]>> = {};
    for (const scope of [...scopes, ...scopes.map((s) => `${s}+users:read`)]) {
      const { crossings, violations } = walk(schema, registry, registry.withImplied(scope.split('+')), rootPermissions);
      expect({ scope, violations }).toEqual({ scope, violations: [] });
      crossingsByScope[scope] = Object.fromEntries(crossings);
    }
    // The walk finds the two reported paths, and node(id), among the guarded crossings.
    expect(crossingsByScope['customers:read'].User).toEqual(expect.arrayContaining(['FollowUp.author', 'Query.node']));
    expect(crossingsByScope['audit:read'].User).toEqual(expect.arrayContaining(['AuditEntry.actor']));
    expect(crossingsByScope['users:read'].Customer).toEqual(expect.arrayContaining(['Query.node']));
    // customers:read reaches ApiKey (through viewer) and Workspace, refused unless they are the caller's own
    expect(crossingsByScope['customers:read']).toMatchObject({ ApiKey: expect.any(Array), Workspace: expect.any(Array) });
    expect(crossingsByScope['customers:read+users:read'].User).toBeUndefined();
  });

  it('catches a relation into a type whose check was lost (negative case)', () => {
    const leaky = buildAppSchema(registry);
    // As if User were declared open, or its check removed: FollowUp.author and AuditEntry.actor would leak.
    (leaky.getType('User') as GraphQLObjectType).isTypeOf = undefined;
    const customers = walk(leaky, registry, registry.withImplied(['customers:read']), rootPermissions);
    expect(customers.violations).toEqual([`User (via ${customers.crossings.get('User')![0]}) is shown without users:read`]);
    expect(walk(leaky, registry, registry.withImplied(['audit:read']), rootPermissions).violations).toHaveLength(1);
  });

  it('refuses to start with an object type nobody declared a read rule for (negative case)', () => {
    const staff = new GraphQLObjectType({ name: 'StaffCard', description: 'x', fields: { email: { type: GraphQLString } } });
    const tag = new GraphQLObjectType({ name: 'Tag', description: 'x', fields: { name: { type: GraphQLString }, staff: { type: staff } } });
    const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { tag: { type: tag } } }) });
    const tiny = new ModuleRegistry([
      { name: 'tiny', entities: [], resolvers: [], permissions: [{ name: 'tags:read', description: 'x', roles: [], scopable: true }], objectTypes: { Tag: { permission: 'tags:read' } } },
    ]);
    expect(() => applyReadRules(schema, tiny)).toThrow('object type StaffCard has no read rule');
  });
});

describe('API keys reaching other permissions\' data through relations (end to end)', () => {
  let server: TestServer;
  let owner: SignedUp;
  let customerId: string;
  beforeAll(async () => {
    server = await startTestServer();
    owner = await signUpWorkspace(server.url);
    customerId = (await createCustomer(server.url, owner.token, { name: '王小明' })).id;
    const followUp = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code } } }`;
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    dataOf(await gql(server.url, followUp, { input: { customerId, method: 'PHONE', content: '回访', nextFollowUpOn: tomorrow } }, owner.token));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const FOLLOW_UPS_DUE = `{ followUpsDue(days: 7) { nodes { content customer { name } author { id displayName email role } } } }`;
  const forbidden = (path: Array<string | number>, permission: string) =>
    expect.objectContaining({ path, extensions: expect.objectContaining({ code: 'FORBIDDEN', missingPermissions: [permission] }) });

  it('a customers:read key reads follow-ups but not their authors; with users:read it does', async () => {
    const key = await createApiKey(server.url, owner.token, ['customers:read']);
    const response = await gql(server.url, FOLLOW_UPS_DUE, {}, key.secret);
    expect(response.data!.followUpsDue.nodes).toEqual([{ content: '回访', customer: { name: '王小明' }, author: null }]);
    expect(response.errors).toEqual([forbidden(['followUpsDue', 'nodes', 0, 'author'], 'users:read')]);
    expect(JSON.stringify(response)).not.toContain(owner.email);

    const withUsers = await createApiKey(server.url, owner.token, ['customers:read', 'users:read']);
    const allowed = dataOf(await gql(server.url, FOLLOW_UPS_DUE, {}, withUsers.secret));
    expect(allowed.followUpsDue.nodes[0].author).toMatchObject({ email: owner.email, role: 'OWNER' });
  });

  it('an audit:read key reads the log but not the users in it, over HTTP and in the live stream', async () => {
    const key = await createApiKey(server.url, owner.token, ['audit:read']);
    const response = await gql(server.url, `{ auditLog(first: 1) { nodes { action actor { email } } } }`, {}, key.secret);
    expect(response.data!.auditLog.nodes).toEqual([{ action: expect.any(String), actor: null }]);
    expect(response.errors).toEqual([forbidden(['auditLog', 'nodes', 0, 'actor'], 'users:read')]);

    const stream = subscribe(server.wsUrl, `subscription { auditEntryAdded { entry { action actor { email } } } }`, key.secret);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the subscription start before the change
      await createCustomer(server.url, owner.token, { name: '李四' });
      const event = await stream.until((e) => e.data?.auditEntryAdded.entry.action === 'customers.customer.create');
      expect(event.data).toEqual({ auditEntryAdded: { entry: { action: 'customers.customer.create', actor: null } } });
      expect(event.errors).toEqual([forbidden(['auditEntryAdded', 'entry', 'actor'], 'users:read')]);
    } finally {
      await stream.close();
    }
  });

  it('an audit:read key sees what changed only on records whose type it may read (a new user\'s email needs users:read)', async () => {
    const agent = await createUserWithRole(server.url, owner.token, 'AGENT');
    const USER_CREATED = `{ auditLog(action: "platform.user.create") { nodes { action changes } } }`;
    const auditOnly = await createApiKey(server.url, owner.token, ['audit:read']);
    const refused = await gql(server.url, USER_CREATED, {}, auditOnly.secret);
    expect(refused.data!.auditLog.nodes).toEqual([{ action: 'platform.user.create', changes: null }]);
    expect(refused.errors).toEqual([forbidden(['auditLog', 'nodes', 0, 'changes'], 'users:read')]);
    expect(JSON.stringify(refused)).not.toContain(agent.email);
    const withUsers = await createApiKey(server.url, owner.token, ['audit:read', 'users:read']);
    expect(dataOf(await gql(server.url, USER_CREATED, {}, withUsers.secret)).auditLog.nodes[0].changes).toEqual({ email: agent.email, role: 'AGENT' });
  });

  it('node(id) refuses a node whose type the key may not read, in either direction', async () => {
    const NODE = `query($id: ID!) { node(id: $id) { id ... on User { email } ... on Customer { name } } }`;
    const customersKey = await createApiKey(server.url, owner.token, ['customers:read']);
    const usersKey = await createApiKey(server.url, owner.token, ['users:read']);
    const user = await gql(server.url, NODE, { id: owner.userId }, customersKey.secret);
    expect(user).toMatchObject({ data: { node: null }, errors: [forbidden(['node'], 'users:read')] });
    const customer = await gql(server.url, NODE, { id: customerId }, usersKey.secret);
    expect(customer).toMatchObject({ data: { node: null }, errors: [forbidden(['node'], 'customers:read')] });
    expect(dataOf(await gql(server.url, NODE, { id: customerId }, customersKey.secret)).node).toEqual({ id: customerId, name: '王小明' });
  });

  it('a key reads itself and its workspace; its creator needs users:read; login reads its own user', async () => {
    const key = await createApiKey(server.url, owner.token, ['customers:read']);
    const viewer = await gql(server.url, `{ viewer { apiKey { id } workspace { id } user { email } } }`, {}, key.secret);
    expect(viewer.data!.viewer).toEqual({ apiKey: { id: key.id }, workspace: { id: owner.workspaceId }, user: null });
    expect(viewer.errors).toEqual([forbidden(['viewer', 'user'], 'users:read')]);
    // Another key's record stays out of reach through the node interface.
    const other = await createApiKey(server.url, owner.token, ['customers:read']);
    const NODE = `query($id: ID!) { node(id: $id) { id } }`;
    expect((await gql(server.url, NODE, { id: other.id }, key.secret)).errors).toEqual([forbidden(['node'], 'apiKeys:write')]);

    const login = `mutation($input: LoginInput!) { login(input: $input) { user { email role workspace { id } } } }`;
    const signedIn = dataOf(await gql(server.url, login, { input: { email: owner.email, password: PASSWORD } }));
    expect(signedIn.login.user).toEqual({ email: owner.email, role: 'OWNER', workspace: { id: owner.workspaceId } });
  });
});
