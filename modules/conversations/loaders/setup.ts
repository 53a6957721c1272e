import { defineLoader, groupByKey } from '../../../src/context/loaders';
import { ServiceGroupMember } from '../entities/service-group';

/** Each group's members in position order, with their users, for a whole list of groups in one statement. */
export const membersOfGroup = defineLoader<string, ServiceGroupMember[]>('conversations.membersOfGroup', async (ids, ctx) => {
  const members = await ctx.em.find(ServiceGroupMember, { group: { $in: [...ids] } }, { populate: ['agent'], orderBy: { position: 'asc' } });
  return groupByKey(ids, members, (m) => m.group.id);
});
