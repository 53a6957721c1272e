import { ADMIN_ROLES } from '../auth/roles';
import type { PermissionDefinition } from '../kernel/module';

export const WEBHOOK_PERMISSIONS = { read: 'webhooks:read', write: 'webhooks:write' } as const;

export const webhookPermissions: PermissionDefinition[] = [
  { name: WEBHOOK_PERMISSIONS.read, description: 'See webhook endpoints and their deliveries', roles: ADMIN_ROLES, scopable: true },
  {
    name: WEBHOOK_PERMISSIONS.write,
    description: 'Register, change and remove webhook endpoints',
    roles: ADMIN_ROLES,
    scopable: true,
    implies: [WEBHOOK_PERMISSIONS.read],
  },
];
