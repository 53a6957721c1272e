import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection, paginate } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { ServiceGroup } from '../entities/service-group';
import { CHANNEL_SORT, ChannelsArgs } from '../graphql/setup-args';
import { ChannelCreateInput, ChannelUpdateInput } from '../graphql/setup-inputs';
import { ChannelPayload } from '../graphql/setup-types';
import { groupById } from '../loaders/conversation';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { createChannel, findChannel, updateChannel } from '../services/channels';

const ChannelConnection = Connection(Channel);

@Resolver(() => Channel)
export class ChannelResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => ChannelConnection, { description: "The workspace's channels, newest first unless sorted otherwise" })
  channels(@Args() args: ChannelsArgs, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, Channel, {}, args, CHANNEL_SORT.sortKey(args.sort));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => Channel, { nullable: true, description: 'A channel by id; null (without an error) when no such channel is in your workspace' })
  channel(@Arg('id', () => ID, { description: 'Global id of the channel' }) id: string, @Ctx() ctx: RequestContext): Promise<Channel | null> {
    return findChannel(ctx, id);
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => ChannelPayload, { description: 'Create a channel, with a new widget key' })
  channelCreate(@Arg('input', { description: 'The channel' }) input: ChannelCreateInput, @Ctx() ctx: RequestContext): Promise<ChannelPayload> {
    return mutationPayload(ChannelPayload, async () => ({ channel: await createChannel(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => ChannelPayload, { description: "Change a channel's name, reception mode, default group, auto-replies or business hours" })
  channelUpdate(@Arg('input', { description: 'The changes' }) input: ChannelUpdateInput, @Ctx() ctx: RequestContext): Promise<ChannelPayload> {
    return mutationPayload(ChannelPayload, async () => ({ channel: await updateChannel(ctx, input) }));
  }

  @FieldResolver(() => ServiceGroup, { nullable: true, description: 'The group that serves its conversations unless a routing rule picks another' })
  defaultGroup(@Root() channel: Channel, @Ctx() ctx: RequestContext): Promise<ServiceGroup | null> | null {
    return channel.defaultGroup ? groupById(ctx).load(channel.defaultGroup.id) : null;
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @FieldResolver(() => String, { nullable: true, description: "The public key the chat widget embeds in the shop's pages (wk_…); managers only (conversations:manage)" })
  widgetKey(@Root() channel: Channel): string {
    return channel.widgetKey;
  }
}
