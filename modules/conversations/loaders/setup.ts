import { defineLoader, findByIds, groupByKey } from '../../../src/context/loaders';
import { Channel } from '../entities/channel';
import { ServiceGroup, ServiceGroupMember } from '../entities/service-group';

/** Service groups by uuid (Channel.defaultGroup, RoutingRule.targetGroup): one statement for a whole list. */
export const serviceGroupById = defineLoader<string, ServiceGroup | null>('conversations.serviceGroupById', (ids, ctx) => findByIds(ctx, ServiceGroup, ids));

/** Channels by uuid (RoutingConditions.channels). */
export const channelById = defineLoader<string, Channel | null>('conversations.channelById', (ids, ctx) => findByIds(ctx, Channel, ids));

/** Each group's members in position order, with their users, for a whole list of groups in one statement. */
export const membersOfGroup = defineLoader<string, ServiceGroupMember[]>('conversations.membersOfGroup', async (ids, ctx) => {
  const members = await ctx.em.find(ServiceGroupMember, { group: { $in: [...ids] } }, { populate: ['agent'], orderBy: { position: 'asc' } });
  return groupByKey(ids, members, (m) => m.group.id);
});
