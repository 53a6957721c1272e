import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Customer } from '../entities/customer';
import { FollowUp } from '../entities/follow-up';
import { FollowUpsDueArgs } from '../graphql/args';
import { FollowUpCreateInput } from '../graphql/inputs';
import { FollowUpPayload } from '../graphql/types';
import { customerById } from '../loaders';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import { createFollowUp } from '../services/follow-ups';
import { followUpsDue } from '../services/search';

const FollowUpConnection = Connection(FollowUp);

@Resolver(() => FollowUp)
export class FollowUpResolver {
  @Authorized(CUSTOMER_PERMISSIONS.followUp)
  @Mutation(() => FollowUpPayload, { description: 'Record a follow-up made with a customer, by the caller' })
  followUpCreate(@Arg('input', { description: 'The fields of the input type' }) input: FollowUpCreateInput, @Ctx() ctx: RequestContext): Promise<FollowUpPayload> {
    return mutationPayload(FollowUpPayload, async () => ({ followUp: await createFollowUp(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => FollowUpConnection, { description: "Planned follow-ups due today or within `days` days (today in the workspace's time zone), overdue included, soonest first" })
  followUpsDue(@Args() args: FollowUpsDueArgs, @Ctx() ctx: RequestContext) {
    return followUpsDue(ctx, args);
  }

  @FieldResolver(() => Customer, { description: 'The customer followed up' })
  async customer(@Root() followUp: FollowUp, @Ctx() ctx: RequestContext): Promise<Customer> {
    return (await customerById(ctx).load(followUp.customer.id))!;
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who made the contact; null if that user no longer exists' })
  author(@Root() followUp: FollowUp, @Ctx() ctx: RequestContext): Promise<User | null> {
    return userById(ctx).load(followUp.authorUserId);
  }
}
