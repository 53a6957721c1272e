import { User } from '../../../src/auth';
import type { RequestContext, WriteTransaction } from '../../../src/context';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { UserError, UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { ServiceGroup, ServiceGroupMember } from '../entities/service-group';
import type { ServiceGroupCreateInput, ServiceGroupUpdateInput } from '../graphql/setup-inputs';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { momentOf } from './agents';
import { drainQueues, lockGroups } from './assignment';

type EntityManager = WriteTransaction['em'];

async function assertNameFree(em: EntityManager, name: string, selfId?: string): Promise<void> {
  const other = await em.findOne(ServiceGroup, { name, ...(selfId ? { id: { $ne: selfId } } : {}) });
  if (other) throw UserInputFailure.of(['input', 'name'], `A service group named ${name} already exists`, UserErrorCode.DUPLICATE);
}

/**
 * The users behind `memberIds`, in order, or a UserInputFailure naming every bad index: unknown (or another
 * workspace's, or not a User id), listed twice, deactivated, or in a role that cannot serve conversations (a group
 * member is assigned conversations, which takes conversations:write).
 */
async function membersOf(tx: WriteTransaction, memberIds: string[]): Promise<User[]> {
  const ids = memberIds.map((globalId) => tryFromGlobalId(globalId, 'User'));
  const users = await tx.em.find(User, { id: { $in: ids.filter((id): id is string => !!id) } });
  const problems: UserError[] = [];
  const members = ids.map((id, i) => {
    const field = ['input', 'memberIds', String(i)];
    const user = users.find((u) => u.id === id);
    if (!user) problems.push(UserError.of(field, 'No user with this id in the workspace', UserErrorCode.NOT_FOUND));
    else if (ids.indexOf(id) < i) problems.push(UserError.of(field, `${user.displayName} is listed twice`, UserErrorCode.DUPLICATE));
    else if (!user.active) problems.push(UserError.of(field, `${user.displayName} is deactivated`, UserErrorCode.USER_DEACTIVATED));
    else if (!tx.ctx.app.registry.permissionsOf(user.role).has(CONVERSATIONS_PERMISSIONS.write)) {
      problems.push(UserError.of(field, `${user.displayName} (${user.role}) cannot serve conversations`, UserErrorCode.NOT_ALLOWED));
    }
    return user!;
  });
  if (problems.length) throw new UserInputFailure(problems);
  return members;
}

function addMembers(tx: WriteTransaction, group: ServiceGroup, agents: User[]): void {
  agents.forEach((agent, i) => tx.em.create(ServiceGroupMember, { group, agent, position: i + 1 }));
}

/** Creates a service group with its members in the order given; audited. */
export async function createServiceGroup(ctx: RequestContext, input: ServiceGroupCreateInput): Promise<ServiceGroup> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const name = input.name.trim();
    await assertNameFree(tx.em, name);
    const agents = await membersOf(tx, input.memberIds);
    const group = tx.em.create(ServiceGroup, { name, assignmentRule: input.assignmentRule, returningCustomerFirst: input.returningCustomerFirst });
    addMembers(tx, group, agents);
    tx.audit({
      action: 'conversations.serviceGroup.create', subjectType: 'ServiceGroup', subjectId: group.id,
      changes: { name, assignmentRule: group.assignmentRule, returningCustomerFirst: group.returningCustomerFirst, memberIds: agents.map((a) => a.id) },
    });
    return group;
  });
}

/**
 * Renames a group, changes its rule or switch, or replaces its members (in the order given). The group's row is
 * locked first (lockGroups: FOR UPDATE), as every assignment in the group locks it (README, "Concurrency"): a member
 * change happens wholly before or after any assignment. New members online with room serve the group's queue at
 * once, in this transaction, like an agent coming online. The last writer wins (groups carry no version): an absent
 * field is left as it is, so two managers changing different fields do not undo each other.
 */
export async function updateServiceGroup(ctx: RequestContext, input: ServiceGroupUpdateInput): Promise<ServiceGroup> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    const id = tryFromGlobalId(input.id, 'ServiceGroup');
    const [locked] = id ? await lockGroups(tx, [id]) : [];
    const group = locked ? await tx.em.findOne(ServiceGroup, locked.id, { refresh: true }) : null;
    if (!locked || !group) throw UserInputFailure.of(['input', 'id'], 'No such service group', UserErrorCode.NOT_FOUND);
    const changes: Record<string, unknown> = {};
    if (input.name != null) {
      changes.name = input.name.trim();
      await assertNameFree(tx.em, changes.name as string, group.id);
    }
    if (input.assignmentRule != null) changes.assignmentRule = input.assignmentRule;
    if (input.returningCustomerFirst != null) changes.returningCustomerFirst = input.returningCustomerFirst;
    tx.em.assign(group, changes);
    if (input.memberIds != null) {
      const agents = await membersOf(tx, input.memberIds);
      // Replaced rather than diffed: members have no identity of their own (nothing refers to a member row).
      await tx.em.nativeDelete(ServiceGroupMember, { group: group.id });
      addMembers(tx, group, agents);
      changes.memberIds = agents.map((a) => a.id);
    }
    tx.audit({ action: 'conversations.serviceGroup.update', subjectType: 'ServiceGroup', subjectId: group.id, changes });
    if (input.memberIds != null) {
      await tx.em.flush(); // the queue's assignments read the new members in SQL
      await drainQueues(tx, [{ ...locked, rule: group.assignmentRule, returningCustomerFirst: group.returningCustomerFirst }], await momentOf(tx));
    }
    return group;
  });
}
