import type { EntityManager } from '@mikro-orm/postgresql';
import { RequestContext, type AppServices } from '../context';
import { credentialHash, hashPassword } from '../auth/credentials';
import { ApiKey, User, Workspace } from '../auth/entities';
import { Role } from '../auth/roles';

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
  ],
  apiKeyName: '演示合作伙伴 (demo partner)',
  apiKeySecret: 'sk_d0d0d0d0_demo-partner-key-not-for-production',
} as const;

export interface DemoSummary {
  created: boolean;
  workspaceName: string;
  logins: { email: string; role: Role }[];
  password: string;
  apiKey: string;
}

/**
 * On an empty database, creates the demo workspace with one user per role and a partner API key holding every
 * scope the owner may grant, then lets each module add its own demo rows. Runs on every development start and
 * does nothing once any workspace exists.
 */
export async function seedDemoWorkspace(app: AppServices): Promise<DemoSummary> {
  const summary: DemoSummary = {
    created: false,
    workspaceName: DEMO.workspaceName,
    logins: DEMO.users.map(({ email, role }) => ({ email, role })),
    password: DEMO.password,
    apiKey: DEMO.apiKeySecret,
  };
  const existing = await (app.orm.em.fork() as EntityManager).count(Workspace, {}, { filters: false });
  if (existing > 0) return summary;

  const workspace = new Workspace();
  workspace.name = DEMO.workspaceName;
  const ctx = RequestContext.forSystem(app, workspace.id);
  const passwordHash = await hashPassword(DEMO.password);
  await ctx.transaction(async (uow) => {
    uow.em.persist(workspace);
    const users = DEMO.users.map((u) => uow.em.create(User, { ...u, workspace, passwordHash } as any));
    const ownerPermissions = app.registry.permissionsOf(Role.OWNER);
    const scopes = [...app.registry.permissions.values()].filter((p) => p.scopable && ownerPermissions.has(p.name)).map((p) => p.name);
    uow.em.create(ApiKey, {
      workspace, name: DEMO.apiKeyName, scopes, prefix: DEMO.apiKeySecret.slice(0, 11),
      secretHash: credentialHash(app.config.secret, DEMO.apiKeySecret), createdBy: users[0],
    } as any);
    uow.audit({ action: 'platform.workspace.create', subjectType: 'Workspace', subjectId: workspace.id, changes: { demo: true } });
  });
  for (const module of app.registry.modules) {
    if (module.seedDemo) await module.seedDemo(RequestContext.forSystem(app, workspace.id));
  }
  summary.created = true;
  return summary;
}
