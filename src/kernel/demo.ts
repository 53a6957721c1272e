import { Entity, Property, Unique } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext, type AppServices } from '../context';
import { credentialHash, hashPassword } from '../auth/credentials';
import { ApiKey, LoginEmail, Workspace } from '../auth/entities';
import { addUser } from '../auth/service';
import { Role } from '../auth/roles';
import { WorkspaceScopedEntity } from '../db/base-entity';
import { defineModule } from './module';

/** Fixed, documented demo credentials (README "Demo logins"). Development only: DEMO_DATA is off in production. */
export const DEMO = {
  workspaceName: '小鹿优选旗舰店',
  password: 'demo12345',
  users: [
    { email: 'owner@xiaolu.example', displayName: '林晓鹿 (店主)', role: Role.OWNER },
    { email: 'manager@xiaolu.example', displayName: '王经理', role: Role.MANAGER },
    { email: 'agent@xiaolu.example', displayName: '客服小美', role: Role.AGENT },
    { email: 'crm@xiaolu.example', displayName: '陈专员', role: Role.CRM_SPECIALIST },
    { email: 'analyst@xiaolu.example', displayName: '数据分析师小赵', role: Role.ANALYST },
    // The rest of the service team (conversations' demo groups: five agents in two groups).
    { email: 'agent2@xiaolu.example', displayName: '客服阿杰', role: Role.AGENT },
    { email: 'agent3@xiaolu.example', displayName: '客服小雨', role: Role.AGENT },
    { email: 'agent4@xiaolu.example', displayName: '售后大伟', role: Role.AGENT },
    { email: 'agent5@xiaolu.example', displayName: '售后丽丽', role: Role.AGENT },
  ],
  apiKeyName: '演示合作伙伴 (demo partner)',
  apiKeySecret: 'sk_d0d0d0d0_demo-partner-key-not-for-production',
} as const;

export interface DemoSummary {
  /** True when this start created the demo workspace. */
  created: boolean;
  /** Modules whose demo rows were added by this start. */
  seededModules: string[];
  workspaceName: string;
  logins: { email: string; role: Role }[];
  password: string;
  apiKey: string;
}

/** Which modules have put their demo rows into the demo workspace, so each does it exactly once. */
@Entity()
@Unique({ properties: ['workspace', 'module'] })
export class DemoSeed extends WorkspaceScopedEntity {
  @Property()
  module!: string;
}

/** Platform table of the demo seeding; no schema of its own. */
export const demoModule = defineModule({ name: 'demo', entities: [DemoSeed], resolvers: [], permissions: [] });

async function createDemoWorkspace(app: AppServices): Promise<string> {
  const workspace = new Workspace();
  workspace.name = DEMO.workspaceName;
  const passwordHash = await hashPassword(DEMO.password);
  await RequestContext.forSystem(app, workspace.id).transaction(async (tx) => {
    tx.em.persist(workspace);
    const users = DEMO.users.map((u) => addUser(tx.em, { ...u, workspace, passwordHash }));
    const ownerPermissions = app.registry.permissionsOf(Role.OWNER);
    const scopes = [...app.registry.permissions.values()].filter((p) => p.scopable && ownerPermissions.has(p.name)).map((p) => p.name);
    tx.em.create(ApiKey, {
      workspace, name: DEMO.apiKeyName, scopes, prefix: DEMO.apiKeySecret.slice(0, 11),
      secretHash: credentialHash(app.config.secret, DEMO.apiKeySecret), createdBy: users[0],
    });
    tx.audit({ action: 'platform.workspace.create', subjectType: 'Workspace', subjectId: workspace.id, changes: { demo: true } });
  });
  return workspace.id;
}

/**
 * Development only. On an empty database, creates the demo workspace with one user per role and a partner API key
 * holding every scope the owner may grant. Then, on every start, lets each module that has not yet done so add its
 * demo rows to the demo workspace, each in one transaction with the record that it did: a module added later
 * seeds into an existing demo database, and a start that crashed half-way finishes the job next time.
 * A database whose workspaces are not the demo's is left alone (undefined: nothing to print).
 */
export async function seedDemoWorkspace(app: AppServices): Promise<DemoSummary | undefined> {
  const em = app.orm.em.fork() as EntityManager;
  const owner = await em.findOne(LoginEmail, { email: DEMO.users[0].email }, { filters: false });
  let workspaceId = owner?.workspace;
  const created = !owner && (await em.count(Workspace, {}, { filters: false })) === 0;
  if (created) workspaceId = await createDemoWorkspace(app);
  if (!workspaceId) return undefined;

  const seededModules: string[] = [];
  for (const module of app.registry.modules) {
    if (!module.seedDemo) continue;
    const seeded = await RequestContext.forSystem(app, workspaceId).transaction(async (tx) => {
      if (await tx.em.count(DemoSeed, { module: module.name })) return false;
      // the module's own ctx.transaction joins this one (a savepoint), so its rows and the record commit together
      await module.seedDemo!(tx.context());
      tx.em.create(DemoSeed, { module: module.name });
      return true;
    });
    if (seeded) seededModules.push(module.name);
  }
  return {
    created,
    seededModules,
    workspaceName: DEMO.workspaceName,
    logins: DEMO.users.map(({ email, role }) => ({ email, role })),
    password: DEMO.password,
    apiKey: DEMO.apiKeySecret,
  };
}
