import type { RequestContext } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput, assertVersion } from '../../../src/graphql/user-errors';
import { Customer } from '../entities/customer';
import { CustomerTag, Tag } from '../entities/tag';
import type { CustomerTagsInput, TagCreateInput, TagUpdateInput } from '../graphql/inputs';
import { erasedCustomerError, lockCustomers } from './customers';

async function assertNameFree(em: RequestContext['em'], name: string, selfId?: string) {
  const other = await em.findOne(Tag, { name, ...(selfId ? { id: { $ne: selfId } } : {}) });
  if (other) throw UserInputFailure.of(['input', 'name'], `A tag named ${name} already exists`, UserErrorCode.DUPLICATE);
}

async function tagForInput(em: RequestContext['em'], globalId: string): Promise<Tag> {
  const id = tryFromGlobalId(globalId, 'Tag');
  const tag = id ? await em.findOne(Tag, id) : null;
  if (!tag) throw UserInputFailure.of(['input', 'id'], 'No such tag', UserErrorCode.NOT_FOUND);
  return tag;
}

/** Defines a tag of the workspace; names are unique. */
export async function createTag(ctx: RequestContext, input: TagCreateInput): Promise<Tag> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const name = input.name.trim();
    await assertNameFree(tx.em, name);
    const tag = tx.em.create(Tag, {
      name, color: input.color.toUpperCase(), group: input.group, kind: input.kind, description: input.description?.trim() || undefined,
    });
    tx.audit({ action: 'customers.tag.create', subjectType: 'Tag', subjectId: tag.id, changes: { name, group: tag.group, kind: tag.kind } });
    return tag;
  });
}

/** Renames, recolors, regroups or redescribes a tag, refusing a stale version with VERSION_CONFLICT. */
export async function updateTag(ctx: RequestContext, input: TagUpdateInput): Promise<Tag> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const tag = await tagForInput(tx.em, input.id);
    assertVersion(tag, input.version, 'tag');
    const changes: Record<string, unknown> = {};
    if (input.name) changes.name = input.name.trim();
    if (input.color) changes.color = input.color.toUpperCase();
    if (input.group) changes.group = input.group;
    if (input.description !== undefined) changes.description = input.description?.trim() || null;
    if (changes.name) await assertNameFree(tx.em, changes.name as string, tag.id);
    tx.em.assign(tag, changes);
    tx.audit({ action: 'customers.tag.update', subjectType: 'Tag', subjectId: tag.id, changes });
    return tag;
  });
}

/** Deletes a tag definition; the database takes it off every customer (cascade). */
export async function deleteTag(ctx: RequestContext, globalId: string): Promise<string> {
  return ctx.transaction(async (tx) => {
    const tag = await tagForInput(tx.em, globalId);
    tx.em.remove(tag);
    tx.audit({ action: 'customers.tag.delete', subjectType: 'Tag', subjectId: tag.id, changes: { name: tag.name } });
    return tag.globalId;
  });
}

/**
 * Tags or untags many customers at once. Every id must be found (else NOT_FOUND naming the position, and nothing
 * changes); tagging twice and untagging what is not there are no-ops, so a retried call is harmless.
 */
export async function changeCustomerTags(ctx: RequestContext, input: CustomerTagsInput, add: boolean): Promise<Customer[]> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const customerIds = input.customerIds.map((id) => tryFromGlobalId(id, 'Customer'));
    const tagIds = input.tagIds.map((id) => tryFromGlobalId(id, 'Tag'));
    const knownIds = customerIds.filter((id): id is string => !!id);
    // Tagging locks the customers (FOR SHARE) so a concurrent erase or merge runs wholly before or after it.
    const customers = add ? await lockCustomers(tx, knownIds, 'share') : await tx.em.find(Customer, { id: { $in: knownIds } });
    const tags = await tx.em.find(Tag, { id: { $in: tagIds.filter((id): id is string => !!id) } });
    const problems: UserError[] = [];
    const check = (ids: (string | undefined)[], known: { id: string }[], field: string, label: string) =>
      ids.forEach((id, i) => {
        if (!id || !known.some((k) => k.id === id)) problems.push(UserError.of(['input', field, String(i)], `No such ${label}`, UserErrorCode.NOT_FOUND));
      });
    check(customerIds, customers, 'customerIds', 'customer');
    check(tagIds, tags, 'tagIds', 'tag');
    if (add) {
      customerIds.forEach((id, i) => {
        const customer = customers.find((c) => c.id === id);
        const erased = customer && erasedCustomerError(customer, ['input', 'customerIds', String(i)]);
        if (erased) problems.push(erased);
      });
    }
    if (problems.length) throw new UserInputFailure(problems);

    const pairs = customers.flatMap((c) => tags.map((t) => ({ customer_id: c.id, tag_id: t.id })));
    // Raw SQL: up to 1,000 customers × 50 tags in one statement, idempotent through the unique (workspace, customer, tag).
    // Timestamps from the application (milliseconds, like the ORM's), not now(): see services/orders.ts.
    const stamp = new Date().toISOString();
    const sql = workspaceSql(tx);
    const pairsJson = JSON.stringify(pairs);
    if (add) {
      await sql`
        insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id)
        select gen_random_uuid(), ${stamp}::timestamptz, ${stamp}::timestamptz, ${WORKSPACE}, p.customer_id, p.tag_id
        from jsonb_to_recordset(${pairsJson}::jsonb) as p(customer_id uuid, tag_id uuid)
        on conflict (workspace_id, customer_id, tag_id) do nothing`;
    } else {
      await sql`
        delete from customer_tag t using jsonb_to_recordset(${pairsJson}::jsonb) as p(customer_id uuid, tag_id uuid)
        where t.workspace_id = ${WORKSPACE} and t.customer_id = p.customer_id and t.tag_id = p.tag_id`;
    }
    tx.audit({
      action: add ? 'customers.customer.tag' : 'customers.customer.untag', subjectType: 'Workspace', subjectId: ctx.workspaceId,
      changes: { customers: customers.map((c) => c.customerNo), tags: tags.map((t) => t.name) },
    });
    return input.customerIds.map((_, i) => customers.find((c) => c.id === customerIds[i])!);
  });
}
