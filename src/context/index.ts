/**
 * What a request works with: the instance's long-lived services (services.ts), the per-request context
 * (request-context.ts) and, inside `ctx.transaction`, the write transaction (write-transaction.ts).
 */
export type { AppServices } from './services';
export { RequestContext } from './request-context';
export { WriteTransaction, type AuditRecord } from './write-transaction';
