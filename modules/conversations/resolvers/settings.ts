import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { ConversationSettings } from '../entities/quick-reply';
import { ConversationSettingsUpdateInput } from '../graphql/setup-inputs';
import { ConversationSettingsPayload } from '../graphql/setup-types';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { conversationSettingsOf, updateConversationSettings } from '../services/settings';

@Resolver(() => ConversationSettings)
export class ConversationSettingsResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => ConversationSettings, { description: "The workspace's conversation settings (the defaults until a manager changes them)" })
  conversationSettings(@Ctx() ctx: RequestContext): Promise<ConversationSettings> {
    return conversationSettingsOf(ctx);
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.manage)
  @Mutation(() => ConversationSettingsPayload, { description: 'Change the rating tags or the reassignment after agent silence' })
  conversationSettingsUpdate(@Arg('input', { description: 'The changes' }) input: ConversationSettingsUpdateInput, @Ctx() ctx: RequestContext): Promise<ConversationSettingsPayload> {
    return mutationPayload(ConversationSettingsPayload, async () => ({ conversationSettings: await updateConversationSettings(ctx, input) }));
  }
}
