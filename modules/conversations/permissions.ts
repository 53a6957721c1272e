import { Role } from '../../src/auth';
import type { PermissionDefinition } from '../../src/kernel/module';

export const CONVERSATIONS_PERMISSIONS = {
  read: 'conversations:read',
  write: 'conversations:write',
  manage: 'conversations:manage',
} as const;

/**
 * Domain page, "People and what they may do": agents receive customers; managers adjust staffing (groups,
 * capacity), set policies (channels, routing, auto-replies) and evaluate the team (workload, assignment reasons);
 * analysts read service data. Channel connectors hold API keys with conversations:write. Visitors hold guest
 * tokens, which reach only their own conversations (checked in the services).
 */
export const conversationsPermissions: PermissionDefinition[] = [
  {
    name: CONVERSATIONS_PERMISSIONS.read,
    description: 'Read conversations, messages, the queue, channels, groups and quick replies',
    roles: [Role.OWNER, Role.MANAGER, Role.AGENT, Role.ANALYST],
    scopable: true,
  },
  {
    name: CONVERSATIONS_PERMISSIONS.write,
    description: 'Start conversations (channel connectors), send messages as an agent, transfer, close, escalate, keep personal quick replies',
    roles: [Role.OWNER, Role.MANAGER, Role.AGENT],
    scopable: true,
    implies: [CONVERSATIONS_PERMISSIONS.read],
  },
  {
    name: CONVERSATIONS_PERMISSIONS.manage,
    description: "Set up channels, service groups, routing rules, agents' capacity, workspace quick replies and settings; see workload and why agents were chosen",
    roles: [Role.OWNER, Role.MANAGER],
    scopable: true,
    implies: [CONVERSATIONS_PERMISSIONS.write],
  },
];
