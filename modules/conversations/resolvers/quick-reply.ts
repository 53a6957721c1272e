import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { QuickReply, QuickReplyScope } from '../entities/quick-reply';
import { QuickRepliesArgs } from '../graphql/setup-args';
import { QuickReplyCreateInput, QuickReplyDeleteInput, QuickReplyUpdateInput } from '../graphql/setup-inputs';
import { QuickReplyDeletePayload, QuickReplyPayload } from '../graphql/setup-types';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { createQuickReply, deleteQuickReply, listQuickReplies, updateQuickReply } from '../services/quick-replies';

const QuickReplyConnection = Connection(QuickReply);

@Resolver(() => QuickReply)
export class QuickReplyResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @Query(() => QuickReplyConnection, { description: "The workspace's quick replies and your own, by title unless sorted otherwise" })
  quickReplies(@Args() args: QuickRepliesArgs, @Ctx() ctx: RequestContext) {
    return listQuickReplies(ctx, args);
  }

  // conversations:write for personal replies; the service asks conversations:manage for WORKSPACE ones.
  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => QuickReplyPayload, { description: 'Create a quick reply: your own (PERSONAL), or for everyone (WORKSPACE, managers)' })
  quickReplyCreate(@Arg('input', { description: 'The quick reply' }) input: QuickReplyCreateInput, @Ctx() ctx: RequestContext): Promise<QuickReplyPayload> {
    return mutationPayload(QuickReplyPayload, async () => ({ quickReply: await createQuickReply(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => QuickReplyPayload, { description: "Change one of your quick replies, or (managers) one of the workspace's" })
  quickReplyUpdate(@Arg('input', { description: 'The changes' }) input: QuickReplyUpdateInput, @Ctx() ctx: RequestContext): Promise<QuickReplyPayload> {
    return mutationPayload(QuickReplyPayload, async () => ({ quickReply: await updateQuickReply(ctx, input) }));
  }

  @Authorized(CONVERSATIONS_PERMISSIONS.write)
  @Mutation(() => QuickReplyDeletePayload, { description: "Delete one of your quick replies, or (managers) one of the workspace's" })
  quickReplyDelete(@Arg('input', { description: 'The quick reply' }) input: QuickReplyDeleteInput, @Ctx() ctx: RequestContext): Promise<QuickReplyDeletePayload> {
    return mutationPayload(QuickReplyDeletePayload, async () => ({ deletedQuickReplyId: await deleteQuickReply(ctx, input.id) }));
  }

  @FieldResolver(() => QuickReplyScope, { description: "WORKSPACE (everyone's) or PERSONAL (yours)" })
  scope(@Root() reply: QuickReply): QuickReplyScope {
    return reply.owner ? QuickReplyScope.PERSONAL : QuickReplyScope.WORKSPACE;
  }
}
