import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { Connection, paginate } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { ServiceGroup, ServiceGroupMember } from '../entities/service-group';
import { SERVICE_GROUP_SORT } from '../graphql/setup-args';
import { ServiceGroupCreateInput, ServiceGroupUpdateInput } from '../graphql/setup-inputs';
import { ServiceGroupPayload } from '../graphql/setup-types';
import { membersOfGroup } from '../loaders/setup';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { createServiceGroup, updateServiceGroup } from '../services/service-groups';

const ServiceGroupConnection = Connection(ServiceGroup);

@Resolver(() => ServiceGroup)
export class ServiceGroupResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => ServiceGroupConnection, { description: "The workspace's service groups, by name unless sorted otherwise" })
  serviceGroups(@Args(() => SERVICE_GROUP_SORT.Args) args: InstanceType<typeof SERVICE_GROUP_SORT.Args>, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, ServiceGroup, {}, args, SERVICE_GROUP_SORT.sortKey(args.sort));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => ServiceGroupPayload, { description: 'Create a service group with its agents in order' })
  serviceGroupCreate(@Arg('input', { description: 'The group' }) input: ServiceGroupCreateInput, @Ctx() ctx: RequestContext): Promise<ServiceGroupPayload> {
    return mutationPayload(ServiceGroupPayload, async () => ({ serviceGroup: await createServiceGroup(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => ServiceGroupPayload, { description: "Rename a service group, change its rule or switch, or replace its members" })
  serviceGroupUpdate(@Arg('input', { description: 'The changes' }) input: ServiceGroupUpdateInput, @Ctx() ctx: RequestContext): Promise<ServiceGroupPayload> {
    return mutationPayload(ServiceGroupPayload, async () => ({ serviceGroup: await updateServiceGroup(ctx, input) }));
  }

  @FieldResolver(() => [ServiceGroupMember], { description: "The group's agents in its order (position 1 first)" })
  members(@Root() group: ServiceGroup, @Ctx() ctx: RequestContext): Promise<ServiceGroupMember[]> {
    return membersOfGroup(ctx).load(group.id);
  }
}

@Resolver(() => ServiceGroupMember)
export class ServiceGroupMemberResolver {
  @FieldResolver(() => User, { description: 'The agent' })
  agent(@Root() member: ServiceGroupMember): User {
    return member.agent; // populated with the member (membersOfGroup)
  }
}
