import { registerEnumType } from 'type-graphql';

/** The roles of ../shared/domain.md ("People and what they may do"); permissions come from module manifests. */
export enum Role {
  OWNER = 'OWNER',
  MANAGER = 'MANAGER',
  AGENT = 'AGENT',
  CRM_SPECIALIST = 'CRM_SPECIALIST',
  ANALYST = 'ANALYST',
}

registerEnumType(Role, {
  name: 'Role',
  description: 'What a user of the workspace does; each module grants its permissions to roles',
  valuesConfig: {
    OWNER: { description: 'Workspace owner: manages users, roles and API keys, and may do everything' },
    MANAGER: { description: 'Service manager 客户服务经理: policies, approvals, staffing, team performance' },
    AGENT: { description: 'Service agent 客户服务专员: conversations, inquiries, complaints, after-sales' },
    CRM_SPECIALIST: { description: 'CRM specialist 客户关系管理专员: profiles, tags, follow-ups, segments, campaigns' },
    ANALYST: { description: 'Data analyst 数据分析师: reads data and reports, no operational writes' },
  },
});

export const ALL_ROLES = Object.values(Role);
export const ADMIN_ROLES = [Role.OWNER, Role.MANAGER];
