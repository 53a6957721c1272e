import { defineModule } from '../kernel/module';
import { AuditEntry } from './entities';
import { AUDIT_ENTRY_ADDED } from './events';
import { AUDIT_READ, auditPermissions } from './permissions';
import { AuditResolver } from './resolvers';

/** The audit log: every audited change, queryable and streamed live. Entries are written by `tx.audit`. */
export const auditModule = defineModule({
  name: 'audit',
  entities: [AuditEntry],
  resolvers: [AuditResolver],
  permissions: auditPermissions,
  nodeTypes: { AuditEntry: { entity: AuditEntry, permission: AUDIT_READ } },
  objectTypes: { AuditEntryEvent: { permission: AUDIT_READ } },
  events: [AUDIT_ENTRY_ADDED],
});
