import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection, paginate } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { CHANNEL_SORT, ChannelsArgs } from '../graphql/args';
import { ChannelCreateInput } from '../graphql/inputs';
import { ChannelPayload } from '../graphql/types';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { createChannel } from '../services/channels';

const ChannelConnection = Connection(Channel);

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => ChannelConnection, { description: "The workspace's channels, newest first unless sorted otherwise" })
  channels(@Args() args: ChannelsArgs, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, Channel, {}, args, CHANNEL_SORT.sortKey(args.sort));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => ChannelPayload, { description: 'Create a channel' })
  channelCreate(@Arg('input', { description: 'The channel' }) input: ChannelCreateInput, @Ctx() ctx: RequestContext): Promise<ChannelPayload> {
    return mutationPayload(ChannelPayload, async () => ({ channel: await createChannel(ctx, input) }));
  }
}
