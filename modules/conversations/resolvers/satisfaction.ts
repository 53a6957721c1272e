import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { User, userById } from '../../../src/auth';
import type { RequestContext } from '../../../src/context';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Conversation } from '../entities/conversation';
import { ConversationRateInput } from '../graphql/rating';
import { ConversationPayload } from '../graphql/types';
import { rateConversation } from '../services/satisfaction';

@Resolver(() => Conversation)
export class ConversationRatingResolver {
  // Any principal: the visitor (guest token) or staff with conversations:write, checked in the service.
  @Authorized()
  @Mutation(() => ConversationPayload, {
    description: "Rate a closed conversation once (satisfaction 满意度, 1–5, tags from the workspace's list, a comment): its visitor, or staff with conversations:write recording the visitor's rating (not the agent who served it)",
  })
  conversationRate(@Arg('input', { description: 'The conversation and the rating' }) input: ConversationRateInput, @Ctx() ctx: RequestContext): Promise<ConversationPayload> {
    return mutationPayload(ConversationPayload, async () => ({ conversation: await rateConversation(ctx, input) }));
  }

  @FieldResolver(() => User, { nullable: true, description: 'The last agent who served it, kept after closing: its rating counts for them; null when no agent has' })
  servedBy(@Root() conversation: Conversation, @Ctx() ctx: RequestContext): Promise<User | null> | null {
    return conversation.servedBy ? userById(ctx).load(conversation.servedBy.id) : null;
  }
}
