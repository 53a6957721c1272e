import type { PermissionDefinition } from '../kernel/module';
import { ADMIN_ROLES } from '../auth/roles';

export const AUDIT_READ = 'audit:read';

export const auditPermissions: PermissionDefinition[] = [
  { name: AUDIT_READ, description: 'Read the audit log and follow it live', roles: ADMIN_ROLES, scopable: true },
];
