import { defineEvent } from '../kernel/events';

/** An audit entry was written (subject: the entry); the auditEntryAdded subscription follows it. */
export const AUDIT_ENTRY_ADDED = defineEvent('audit.entryAdded', { subjectType: 'AuditEntry' });
