import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context';
import { DateTimeScalar } from '../graphql/scalars';
import { mutationPayload, MutationPayload, UserErrorCode, UserInputFailure } from '../graphql/user-errors';
import { JOBS_MANAGE } from './permissions';

@ObjectType({ description: 'Background work that failed after its last retry: a module reaction to an event, or a job' })
export class FailedJob {
  @Field(() => ID, { description: 'The job id; pass it to failedJobRetry' })
  id!: string;

  @Field({ description: 'The queue, e.g. module-reactions' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'For a reaction: `<module>.<reaction>` that failed' })
  reaction!: string | null;

  @Field(() => String, { nullable: true, description: 'For a reaction: the topic of the event it reacted to' })
  eventTopic!: string | null;

  @Field(() => String, { nullable: true, description: "For a reaction: the event's position in the event log" })
  eventPosition!: string | null;

  @Field({ description: 'The last error message' })
  error!: string;

  @Field(() => Int, { description: 'How often it was tried' })
  attempts!: number;

  @Field(() => DateTimeScalar, { description: 'When it was queued' })
  createdAt!: Date;

  @Field(() => DateTimeScalar, { description: 'When it failed for the last time' })
  failedAt!: Date;
}

@ObjectType({ description: 'Result of failedJobRetry' })
export class FailedJobRetryPayload extends MutationPayload {
  @Field(() => ID, { nullable: true, description: 'The job queued again; null when userErrors is not empty' })
  id?: string | null;
}

@Resolver()
export class FailedJobResolver {
  @Authorized(JOBS_MANAGE)
  @Query(() => [FailedJob], { description: "The workspace's failed background work, newest first, kept 7 days (OWNER)" })
  failedJobs(
    @Arg('first', () => Int, { defaultValue: 50, description: 'At most this many (1–100)' }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<FailedJob[]> {
    return ctx.app.jobs.failedJobs(ctx.em, ctx.workspaceId, Math.min(Math.max(first, 1), 100));
  }

  @Authorized(JOBS_MANAGE)
  @Mutation(() => FailedJobRetryPayload, { description: 'Run a failed job again, once more with its retries (OWNER)' })
  failedJobRetry(@Arg('id', () => ID, { description: 'A FailedJob id' }) id: string, @Ctx() ctx: RequestContext): Promise<FailedJobRetryPayload> {
    return mutationPayload(FailedJobRetryPayload, async () => {
      const retried = /^[0-9a-f-]{36}$/i.test(id) && (await ctx.app.jobs.retryFailed(ctx.em, ctx.workspaceId, id));
      if (!retried) throw UserInputFailure.of(['id'], 'No failed job with this id in this workspace', UserErrorCode.NOT_FOUND);
      return { id };
    });
  }
}
