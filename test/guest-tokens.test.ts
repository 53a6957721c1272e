import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import {
  getNamedType, isEnumType, isInputObjectType, isLeafType, isListType, isNonNullType, isScalarType,
  type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLResolveInfo, type GraphQLSchema,
} from 'graphql';
import { Arg, Authorized, Ctx, Field, ID, Mutation, ObjectType, Query, Resolver, getMetadataStorage } from 'type-graphql';
import { featureModules } from '../modules';
import { GUEST_ACCESS, issueGuestToken, verifyGuestToken } from '../src/auth';
import type { RequestContext } from '../src/context';
import { AppError } from '../src/graphql/errors';
import { parseGlobalId, toGlobalId } from '../src/graphql/global-id';
import { defineEvent } from '../src/kernel/events';
import { defineModule } from '../src/kernel/module';
import { createRegistry } from '../src/kernel/registry';
import { buildAppSchema } from '../src/server/schema';
import { dataOf, errorCode, gql, subscribe } from './support/client';
import { createCustomer } from './customers-fixtures';
import { adminQuery } from './support/database';
import { signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * Guest tokens (src/auth/guest-tokens.ts): a credential for someone outside the workspace, naming one record of
 * theirs. A small module of the test ("guestdesk") plays the part the conversations module will: it lets a
 * guest leave a note (an audited write with an event) and read its own notes (a read rule with ownRecord).
 */
const NOTE_LEFT = defineEvent('guestdesk.noteLeft', { subjectType: 'Visitor' });

@ObjectType({ description: 'A note a visitor left (test module)' })
class GuestNote {
  @Field(() => ID, { description: 'The visitor who wrote it' })
  visitorId!: string;

  @Field({ description: 'What the note says' })
  text!: string;
}

@Resolver()
class GuestDeskResolver {
  @Authorized()
  @Query(() => GuestNote, { description: "A visitor's note: readable by that visitor, and by staff with guestdesk:read" })
  guestNote(@Arg('visitorId', () => ID, { description: 'The visitor (a uuid)' }) visitorId: string): GuestNote {
    return { visitorId, text: '你好' };
  }

  @Authorized()
  @Mutation(() => GuestNote, { description: 'The calling visitor leaves a note' })
  guestNoteLeave(@Arg('text', { description: 'The note' }) text: string, @Ctx() ctx: RequestContext): Promise<GuestNote> {
    const guest = ctx.guest;
    if (!guest) throw AppError.forbidden([GUEST_ACCESS]);
    return ctx.transaction(async (tx) => {
      tx.audit({ action: 'guestdesk.note.leave', subjectType: guest.guest.type, subjectId: guest.guest.id, changes: { text } });
      tx.emit(NOTE_LEFT, guest.guest.id);
      return { visitorId: guest.guest.id, text };
    });
  }
}

const guestDeskModule = defineModule({
  name: 'guestdesk',
  entities: [],
  resolvers: [GuestDeskResolver],
  permissions: [{ name: 'guestdesk:read', description: 'Read visitors\' notes', roles: [], scopable: false }],
  objectTypes: {
    GuestNote: { permission: 'guestdesk:read', ownRecord: (note: GuestNote, reader) => reader.kind === 'GUEST' && note.visitorId === reader.guest.id },
  },
  events: [NOTE_LEFT],
});

let server: TestServer;
let shopA: SignedUp;
let workspaceA: string;
const visitor = randomUUID();
const inAnHour = () => new Date(Date.now() + 3600_000);
let guestToken: string;

beforeAll(async () => {
  server = await startTestServer({ extraModules: [guestDeskModule], env: { WS_REAUTH_SECONDS: '1' } });
  shopA = await signUpWorkspace(server.url, '访客小店');
  workspaceA = parseGlobalId(shopA.workspaceId)!.id;
  guestToken = issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: visitor, expiresAt: inAnHour() });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('the token', () => {
  it('is gt_<base64url JSON {w, t, s, e}>.<signature> and names the workspace, the record and the expiry', () => {
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    const token = issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: visitor, expiresAt });
    const [, payload, signature] = /^gt_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(token)!;
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({ w: workspaceA, t: 'Visitor', s: visitor, e: 1893456000 });
    expect(signature).toHaveLength(43);
    expect(verifyGuestToken(server.services, token)).toEqual({
      kind: 'GUEST', workspaceId: workspaceA, guest: { type: 'Visitor', id: visitor }, permissions: new Set([GUEST_ACCESS]),
    });
  });

  it('refuses to issue a token for a bad subject or a past expiry (a programming error in the issuing module)', () => {
    const claims = { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: visitor, expiresAt: inAnHour() };
    expect(() => issueGuestToken(server.services, { ...claims, subjectId: 'visitor-1' })).toThrow('subjectId must be a uuid');
    expect(() => issueGuestToken(server.services, { ...claims, subjectType: 'visitor; drop' })).toThrow('subjectType must be a type name');
    expect(() => issueGuestToken(server.services, { ...claims, workspaceId: 'A' })).toThrow('workspaceId must be a uuid');
    expect(() => issueGuestToken(server.services, { ...claims, expiresAt: new Date(Date.now() - 1000) })).toThrow('expiresAt must be in the future');
  });
});

describe('a guest over HTTP', () => {
  it('is let in without a database round trip, on its very first request: __typename answers, me is null', async () => {
    const fresh = issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: randomUUID(), expiresAt: inAnHour() });
    const response = await gql(server.url, `{ __typename me { id } }`, {}, fresh);
    expect(response.status).toBe(200);
    expect(response).toMatchObject({ data: { __typename: 'Query', me: null } });
    expect(response.errors).toBeUndefined();
    // a session's first request reads its row; a guest token is checked by its signature alone
    expect(response.extensions?.sqlStatements).toBe(0);
  });

  it('is refused by every root field that asks for a permission (FORBIDDEN naming it)', async () => {
    const schema = buildAppSchema(createRegistry(featureModules));
    const guarded = [...guardedRootFields(schema)];
    expect(guarded.length).toBeGreaterThan(30);
    const answers: string[] = [];
    const unexpected: string[] = [];
    for (const { kind, field, permissions } of guarded) {
      if (kind === 'subscription') continue; // over WebSocket, below
      const { query, variables } = operationOf(kind, field);
      const response = await gql(server.url, query, variables, guestToken);
      const error = response.errors?.[0];
      answers.push(field.name);
      if (error?.extensions?.code !== 'FORBIDDEN' || error.extensions.missingPermissions?.join() !== permissions.join()
        || response.data?.[field.name] != null) {
        unexpected.push(`${kind} ${field.name}: ${JSON.stringify(response.errors ?? response.data)}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(answers).toEqual(expect.arrayContaining(['customers', 'customerCreate', 'users', 'auditLog', 'workspace', 'apiKeyCreate', 'webhookEndpointCreate']));
  });

  it('is refused, FORBIDDEN as staff-only, by viewer, logout and passwordChange (fields any staff principal may call)', async () => {
    const response = await gql(server.url, `{ viewer { kind } }`, {}, guestToken);
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringContaining('guest token cannot do this'), extensions: { code: 'FORBIDDEN' } });
    for (const mutation of [`mutation { logout { userErrors { code } } }`, `mutation { passwordChange(input: { currentPassword: "x", newPassword: "long-enough-1" }) { userErrors { code } } }`]) {
      const refused = await gql(server.url, mutation, {}, guestToken);
      expect({ mutation, code: errorCode(refused), data: refused.data }).toEqual({ mutation, code: 'FORBIDDEN', data: null });
    }
  });

  it('reads no record of the workspace through node(id): neither a customer nor the workspace itself', async () => {
    const customer = await createCustomer(server.url, shopA.token, { name: '张三' });
    for (const id of [customer.id, shopA.workspaceId, shopA.userId]) {
      const response = await gql(server.url, `query($id: ID!) { node(id: $id) { id } }`, { id }, guestToken);
      expect({ id, data: response.data, code: errorCode(response) }).toEqual({ id, data: { node: null }, code: 'FORBIDDEN' });
    }
    const nodes = dataOf(await gql(server.url, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [customer.id, shopA.workspaceId] }, guestToken));
    expect(nodes).toEqual({ nodes: [null, null] });
  });

  it('reads its own record where a read rule grants it (ReadRule.ownRecord), not another guest\'s, not without the rule', async () => {
    const own = await gql(server.url, `query($v: ID!) { guestNote(visitorId: $v) { visitorId text } }`, { v: visitor }, guestToken);
    expect(own).toMatchObject({ data: { guestNote: { visitorId: visitor, text: '你好' } } });
    const other = await gql(server.url, `query($v: ID!) { guestNote(visitorId: $v) { visitorId } }`, { v: randomUUID() }, guestToken);
    expect(other.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', missingPermissions: ['guestdesk:read'] });
    // staff without guestdesk:read (no role holds it) are refused too: the own-record rule is the guest's
    const staff = await gql(server.url, `query($v: ID!) { guestNote(visitorId: $v) { visitorId } }`, { v: visitor }, shopA.token);
    expect(errorCode(staff)).toBe('FORBIDDEN');
  });

  // Modules that serve guests (conversations: a visitor's own conversations) grant them their own records and test
  // that; the platform and the customers module grant a guest nothing.
  it('is granted nothing by the read rules of the platform and the customers module, not even rows that look like its own', () => {
    const registry = createRegistry(featureModules);
    const schema = buildAppSchema(registry);
    const ctx = { reader: verifyGuestToken(server.services, guestToken) } as unknown as RequestContext;
    // rows that would be a staff reader's own: the guest's workspace, its own id in every id-like field
    const row = { id: visitor, workspace: { id: workspaceA }, workspaceId: workspaceA, user: { id: visitor }, createdBy: { id: visitor } };
    const checked = registry.modules
      .filter((module) => module.name !== 'conversations')
      .flatMap((module) => Object.entries({ ...module.nodeTypes, ...module.objectTypes }));
    const shown: string[] = [];
    for (const [typeName, rule] of checked) {
      const type = schema.getType(typeName) as { isTypeOf?: (row: unknown, ctx: unknown, info: GraphQLResolveInfo) => unknown } | undefined;
      expect({ typeName, permission: rule.permission === GUEST_ACCESS }).toEqual({ typeName, permission: false });
      try {
        if (type?.isTypeOf?.(typeName === 'Workspace' ? { ...row, id: workspaceA } : row, ctx, {} as GraphQLResolveInfo)) shown.push(typeName);
      } catch (error) {
        if ((error as AppError).extensions?.code !== 'FORBIDDEN') throw error;
      }
    }
    expect(checked.map(([typeName]) => typeName)).toEqual(expect.arrayContaining(['Workspace', 'User', 'ApiKey', 'AuditEntry', 'Customer', 'Order']));
    expect(shown).toEqual([]);
  });
});

/**
 * Signs a payload the way the README describes the format, independently of the server's code: HMAC-SHA-256 of
 * the payload text under HKDF-SHA-256(APP_SECRET, no salt, info "service-desk guest token v1"). It lets the test
 * make tokens issueGuestToken would not: expired ones, and well-signed nonsense.
 */
function signedToken(payloadText: string, secret = server.services.config.secret): string {
  const payload = Buffer.from(payloadText).toString('base64url');
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'service-desk guest token v1', 32));
  return `gt_${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

describe('bad guest tokens are UNAUTHENTICATED (HTTP 401), each with a message saying why', () => {
  const parts = () => {
    const [payload, signature] = guestToken.slice('gt_'.length).split('.');
    return { payload, signature, body: JSON.parse(Buffer.from(payload, 'base64url').toString()) };
  };
  const withBody = (body: object) => `gt_${Buffer.from(JSON.stringify(body)).toString('base64url')}.${parts().signature}`;
  const cases: Array<[string, () => string, RegExp]> = [
    ['a tampered payload (another visitor)', () => withBody({ ...parts().body, s: randomUUID() }), /signature does not match/],
    ['a tampered payload (a later expiry)', () => withBody({ ...parts().body, e: parts().body.e + 86400 }), /signature does not match/],
    ['a tampered signature', () => {
      const { payload, signature } = parts();
      return `gt_${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    }, /signature does not match/],
    ['a signature changed only in its last character\'s unused bits (decoding to the same bytes)', () => {
      const { payload, signature } = parts();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const twin = alphabet[alphabet.indexOf(signature.at(-1)!) ^ 1];
      expect(Buffer.from(signature.slice(0, -1) + twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      return `gt_${payload}.${signature.slice(0, -1)}${twin}`;
    }, /signature does not match/],
    ['a token of another server (another APP_SECRET)', () => issueGuestToken(
      { config: { ...server.services.config, secret: 'another-servers-secret-of-at-least-32-characters' } },
      { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: visitor, expiresAt: inAnHour() },
    ), /signature does not match/],
    ['an expired token, correctly signed', () => signedToken(JSON.stringify({ ...parts().body, e: Math.floor(Date.now() / 1000) - 1 })), /has expired/],
    ['a correctly signed payload that is not JSON', () => signedToken('not json'), /malformed/],
    ['a correctly signed payload whose subject is not a uuid', () => signedToken(JSON.stringify({ ...parts().body, s: 'visitor-1' })), /malformed/],
    ['no signature', () => `gt_${parts().payload}`, /malformed/],
    ['three parts', () => `${guestToken}.x`, /malformed/],
    ['an overlong token', () => `gt_${'a'.repeat(2000)}.${parts().signature}`, /malformed/],
  ];

  it('accepts the token signed independently as documented (the check below tests the server, not the helper)', async () => {
    expect(signedToken(JSON.stringify(parts().body))).toBe(guestToken);
  });

  it.each(cases)('%s', async (_name, make, message) => {
    const response = await gql(server.url, `{ __typename }`, {}, make());
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe('a guest over WebSocket', () => {
  it('connects with the gt_ token in connectionParams, runs what a guest may, and is refused every guarded subscription', async () => {
    const query = subscribe(server.wsUrl, `query($v: ID!) { __typename me { id } guestNote(visitorId: $v) { text } }`, guestToken, { v: visitor });
    expect(await query.next()).toEqual({ data: { __typename: 'Query', me: null, guestNote: { text: '你好' } } });
    await query.close();

    const schema = buildAppSchema(createRegistry(featureModules));
    const subscriptions = [...guardedRootFields(schema)].filter((root) => root.kind === 'subscription');
    expect(subscriptions.map((root) => root.field.name)).toContain('auditEntryAdded');
    for (const { field, permissions } of subscriptions) {
      const { query: document, variables } = operationOf('subscription', field);
      const subscription = subscribe(server.wsUrl, document, guestToken, variables);
      const refused = await subscription.next();
      await subscription.close();
      expect({ field: field.name, data: refused.data ?? null, error: refused.errors?.[0]?.extensions })
        .toEqual({ field: field.name, data: null, error: expect.objectContaining({ code: 'FORBIDDEN', missingPermissions: permissions }) });
    }
  });

  it('is refused at connection (4401) with a bad token, and closed (4401) once its token expires', async () => {
    const tampered = subscribe(server.wsUrl, `{ __typename }`, `${guestToken.slice(0, -2)}AA`);
    expect(await tampered.closed).toMatchObject({ code: 4401, reason: expect.stringContaining('signature does not match') });

    // Valid for 4 to 5 seconds (expiry is in whole seconds); the server re-checks open connections every second.
    const shortLived = issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Visitor', subjectId: visitor, expiresAt: new Date(Date.now() + 5000) });
    const connection = subscribe(server.wsUrl, `{ __typename }`, shortLived);
    expect((await connection.next()).data).toEqual({ __typename: 'Query' });
    expect(await connection.closed).toMatchObject({ code: 4401, reason: expect.stringContaining('expired') });
  }, 20_000);
});

describe('what a guest writes is recorded as the guest', () => {
  it('writes an audit entry and an event with actorKind GUEST and the visitor as actor, never as a user', async () => {
    const left = dataOf(await gql(server.url, `mutation { guestNoteLeave(text: "请尽快发货") { visitorId text } }`, {}, guestToken));
    expect(left).toEqual({ guestNoteLeave: { visitorId: visitor, text: '请尽快发货' } });

    const [stored] = (await adminQuery(
      `select actor_kind, actor_user_id, actor_api_key_id, actor_guest_type, actor_guest_id, workspace_id from audit_entry where action = 'guestdesk.note.leave'`,
      server.databaseName,
    )).rows;
    expect(stored).toEqual({ actor_kind: 'GUEST', actor_user_id: null, actor_api_key_id: null, actor_guest_type: 'Visitor', actor_guest_id: visitor, workspace_id: workspaceA });
    const [event] = (await adminQuery(`select actor_kind, actor_id, workspace_id from domain_event where topic = 'guestdesk.noteLeft'`, server.databaseName)).rows;
    expect(event).toEqual({ actor_kind: 'GUEST', actor_id: visitor, workspace_id: workspaceA });

    // the owner reads it in the audit log: a guest, no user, no key
    const log = dataOf(await gql(server.url, `{ auditLog(first: 1, action: "guestdesk.note.leave") { nodes { actorKind guestId actor { id } apiKeyId changes } } }`, {}, shopA.token));
    expect(log.auditLog.nodes).toEqual([{ actorKind: 'GUEST', guestId: toGlobalId('Visitor', visitor), actor: null, apiKeyId: null, changes: { text: '请尽快发货' } }]);
  });

  it('writes nothing through a mutation that needs a permission (no audit entry, no event)', async () => {
    const count = async () => (await adminQuery(
      `select (select count(*) from audit_entry where workspace_id = $1)::int as audit, (select count(*) from domain_event where workspace_id = $1)::int as events`,
      server.databaseName, [workspaceA],
    )).rows[0];
    const before = await count();
    for (const mutation of [
      `mutation { customerCreate(input: { name: "李四" }) { customer { id } userErrors { code } } }`,
      `mutation { tagCreate(input: { name: "访客", group: CONSUMPTION }) { tag { id } } }`,
    ]) {
      expect(errorCode(await gql(server.url, mutation, {}, guestToken))).toBe('FORBIDDEN');
    }
    expect(await count()).toEqual(before);
  });
});

describe('rate limits', () => {
  it('give each guest (by its record) a budget of its own, shared by that record\'s tokens', async () => {
    // A second instance on the same database with a small budget and a slow refill (2 points a second).
    const limited = await startTestServer({
      database: { url: server.databaseUrl, name: server.databaseName }, extraModules: [guestDeskModule],
      env: { MAX_QUERY_COST: '250', RATE_LIMIT_MAXIMUM: '250', RATE_LIMIT_RESTORE_RATE: '2' },
    });
    try {
      // 1 + 99 × (user + workspace) = 199 points, charged before the permission check refuses it
      const COSTLY = `{ users(first: 99) { nodes { id workspace { id } } } }`;
      const tokenFor = (subjectId: string) => issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Visitor', subjectId, expiresAt: inAnHour() });
      const first = await gql(limited.url, COSTLY, {}, tokenFor(visitor));
      expect(first.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(first.extensions?.cost).toMatchObject({ requested: 199, throttleStatus: { maximumAvailable: 250, currentlyAvailable: 51 } });

      // another token of the same visitor shares the budget: throttled
      const again = await gql(limited.url, COSTLY, {}, tokenFor(visitor));
      expect(again.status).toBe(429);
      expect(errorCode(again)).toBe('THROTTLED');

      // another visitor, of the same or of another subject type, has a full budget
      for (const other of [tokenFor(randomUUID()), issueGuestToken(server.services, { workspaceId: workspaceA, subjectType: 'Shopper', subjectId: randomUUID(), expiresAt: inAnHour() })]) {
        const response = await gql(limited.url, COSTLY, {}, other);
        expect(response.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect(response.extensions?.cost.throttleStatus.currentlyAvailable).toBe(51);
      }
    } finally {
      await limited.stop();
    }
  }, 30_000);
});

// ---- building one call of every guarded root field, with the least arguments its types accept ----

/** The root fields that ask for permissions with @Authorized(...), with those permissions (type-graphql's metadata). */
function* guardedRootFields(schema: GraphQLSchema): Generator<{ kind: 'query' | 'mutation' | 'subscription'; field: GraphQLField<unknown, unknown>; permissions: string[] }> {
  const storage = getMetadataStorage();
  const roots = {
    query: [storage.queries, schema.getQueryType()],
    mutation: [storage.mutations, schema.getMutationType()],
    subscription: [storage.subscriptions, schema.getSubscriptionType()],
  } as const;
  for (const [kind, [definitions, type]] of Object.entries(roots) as Array<[keyof typeof roots, (typeof roots)[keyof typeof roots]]>) {
    for (const definition of definitions) {
      const field = type?.getFields()[definition.schemaName];
      if (!field) continue; // a resolver of another test's module, not in this schema
      const authorized =
        storage.authorizedFields.find((a) => a.target === definition.target && a.fieldName === definition.methodName) ??
        storage.authorizedResolver.find((a) => a.target === definition.target);
      const permissions = (authorized?.roles ?? []) as string[];
      if (permissions.length) yield { kind, field, permissions };
    }
  }
}

/** Values the schema's types accept, so that the request reaches the field's permission check. */
const SCALARS: Record<string, unknown> = {
  String: 'x', ID: 'x', Int: 1, Float: 1, Boolean: false,
  DateTime: '2020-01-01T00:00:00Z', LocalDate: '2020-01-01', Decimal: '1', JSONObject: {},
};

function valueOf(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return valueOf(type.ofType);
  if (isListType(type)) return [];
  if (isScalarType(type)) {
    if (!(type.name in SCALARS)) throw new Error(`no test value for the scalar ${type.name}: add one to SCALARS`);
    return SCALARS[type.name];
  }
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const chosen = type.isOneOf ? fields.slice(0, 1) : fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return Object.fromEntries(chosen.map((f) => [f.name, valueOf(f.type)]));
  }
  throw new Error(`no test value for ${String(type)}`);
}

function operationOf(kind: 'query' | 'mutation' | 'subscription', field: GraphQLField<unknown, unknown>): { query: string; variables: Record<string, unknown> } {
  const required = field.args.filter((arg: GraphQLArgument) => isNonNullType(arg.type) && arg.defaultValue === undefined);
  const declared = required.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
  const passed = required.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return {
    query: `${kind}${declared ? `(${declared})` : ''} { ${field.name}${passed ? `(${passed})` : ''}${selection} }`,
    variables: Object.fromEntries(required.map((arg) => [arg.name, valueOf(arg.type)])),
  };
}
