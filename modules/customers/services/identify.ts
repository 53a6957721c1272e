import type { WriteTransaction } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { UserErrorCode, UserInputFailure } from '../../../src/graphql/user-errors';
import { Customer, CustomerExternalId } from '../entities/customer';
import { CustomerKind } from '../entities/enums';
import type { CustomerCreateInput } from '../graphql/inputs';
import { normalizeCode } from './codes';
import { normaliseEmail, normalisePhone } from './contact';
import { createInTransaction } from './customers';

/** Who a contact says they are, as a channel connector or chat widget knows it. */
export interface CustomerIdentity {
  /** The contact's id on a platform or channel (an openid, a widget visitor id). */
  externalId?: { platform: string; value: string } | null;
  phone?: string | null;
  email?: string | null;
  /** A name for a new customer; a placeholder is used without one. */
  name?: string | null;
}

/**
 * The customer a contact is, found by external id, then phone, then email, or created when none matches (so that a
 * returning shopper is one customer, never numbered twice). A found customer gains the external id when it lacked
 * it. Runs in the caller's transaction; a transaction-level advisory lock on the identity's keys makes two
 * simultaneous first contacts of one person wait for each other instead of both creating a customer. A malformed
 * phone is a PHONE_INVALID userError on `[...field, 'phone']`.
 */
export async function identifyCustomer(tx: WriteTransaction, identity: CustomerIdentity, field: string[]): Promise<{ customer: Customer; created: boolean }> {
  const phone = identity.phone?.trim() ? normalisePhone(identity.phone) : undefined;
  if (identity.phone?.trim() && !phone) throw UserInputFailure.of([...field, 'phone'], 'phone is not a valid phone number', UserErrorCode.PHONE_INVALID);
  const email = identity.email?.trim() ? normaliseEmail(identity.email) : undefined;
  const external = identity.externalId?.value.trim() ? { platform: normalizeCode(identity.externalId.platform), externalId: identity.externalId.value.trim() } : undefined;
  const keys = [external && `x:${external.platform}:${external.externalId}`, phone && `p:${phone}`, email && `e:${email}`].filter((k): k is string => !!k);
  const sql = workspaceSql(tx);
  // One lock per key, in a fixed order, so that contacts sharing any key are serialised without a cycle.
  for (const key of [...keys].sort()) await sql`select pg_advisory_xact_lock(hashtextextended(${WORKSPACE} || ${key}, 0))`;
  const found = await findByIdentity(tx, external, phone, email);
  if (found) {
    if (external && !(await tx.em.count(CustomerExternalId, { customer: found.id, ...external }))) {
      // Another customer may hold this external id only if found matched by phone or email: keep theirs.
      const taken = await tx.em.count(CustomerExternalId, external);
      if (!taken) tx.em.persist(tx.em.create(CustomerExternalId, { customer: found, ...external }));
    }
    return { customer: found, created: false };
  }
  const input = {
    kind: CustomerKind.INDIVIDUAL,
    name: identity.name?.trim() || placeholderName(phone, external?.externalId),
    phone, email,
    externalIds: external ? [{ platform: external.platform, value: external.externalId }] : [],
  } as CustomerCreateInput;
  return { customer: await createInTransaction(tx, input), created: true };
}

async function findByIdentity(tx: WriteTransaction, external?: { platform: string; externalId: string }, phone?: string, email?: string): Promise<Customer | null> {
  const em = tx.em;
  if (external) {
    const link = await em.findOne(CustomerExternalId, external, { populate: ['customer'] });
    if (link) return link.customer;
  }
  if (phone) {
    const byPhone = await em.findOne(Customer, { phone });
    if (byPhone) return byPhone;
  }
  return email ? em.findOne(Customer, { email }) : null;
}

/** 访客 and the last four characters of what we know, so agents can tell anonymous visitors apart. */
function placeholderName(phone?: string, externalId?: string): string {
  const tail = (phone ?? externalId ?? Math.random().toString(36)).slice(-4);
  return `访客${tail}`;
}
