import { Role } from '../../src/auth';
import type { PermissionDefinition } from '../../src/kernel/module';

export const CUSTOMER_PERMISSIONS = {
  read: 'customers:read',
  write: 'customers:write',
  pii: 'customers:pii',
  followUp: 'customers:followUp',
} as const;

/** Domain page, "People and what they may do": analysts read without contact details; agents read and follow up. */
export const customerPermissions: PermissionDefinition[] = [
  {
    name: CUSTOMER_PERMISSIONS.read,
    description: 'Read customers, their orders, tags, portraits and follow-ups (phone and email masked without customers:pii)',
    roles: [Role.OWNER, Role.MANAGER, Role.AGENT, Role.CRM_SPECIALIST, Role.ANALYST],
    scopable: true,
  },
  {
    name: CUSTOMER_PERMISSIONS.write,
    description: 'Create, correct, merge and erase customers; tags; import orders',
    roles: [Role.OWNER, Role.MANAGER, Role.CRM_SPECIALIST],
    scopable: true,
    implies: [CUSTOMER_PERMISSIONS.read],
  },
  {
    name: CUSTOMER_PERMISSIONS.pii,
    description: 'See phone numbers and emails unmasked, search by them, and export a customer\'s personal data',
    roles: [Role.OWNER, Role.MANAGER, Role.AGENT, Role.CRM_SPECIALIST],
    scopable: true,
  },
  {
    name: CUSTOMER_PERMISSIONS.followUp,
    description: 'Record follow-ups with customers',
    roles: [Role.OWNER, Role.MANAGER, Role.AGENT, Role.CRM_SPECIALIST],
    scopable: true,
    implies: [CUSTOMER_PERMISSIONS.read],
  },
];
