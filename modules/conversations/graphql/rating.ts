import { ArrayMaxSize, IsOptional, Max, MaxLength, Min } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';

/** The most tags one rating may carry: more than any workspace list is long, a guard against a padded request. */
export const MAX_RATING_TAGS = 20;

@InputType({ description: 'Satisfaction 满意度 for a closed conversation, given once by its visitor (or recorded for them by staff)' })
export class ConversationRateInput {
  @Field(() => ID, { description: 'The conversation (CLOSED)' })
  id!: string;

  @Field(() => Int, { description: 'The score, 1 (very unsatisfied) to 5 (very satisfied)' })
  @Min(1)
  @Max(5)
  score!: number;

  @Field(() => [String], { nullable: true, description: "Rating tags, each from the workspace's list (conversationSettings.ratingTags)" })
  @IsOptional()
  @ArrayMaxSize(MAX_RATING_TAGS)
  @MaxLength(50, { each: true })
  tags?: string[] | null;

  @Field(() => String, { nullable: true, description: 'A comment, up to 500 characters' })
  @IsOptional()
  @MaxLength(500)
  comment?: string | null;
}
