import { ArrayMaxSize, IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { IsNotBlank } from '../../../src/graphql/validation';
import { AssignmentRule } from '../entities/enums';

/** Inputs of the configuration side: service groups, channels, routing rules, quick replies, settings. */

export const MAX_GROUP_MEMBERS = 100;

@InputType({ description: 'A new service group 客服分组' })
export class ServiceGroupCreateInput {
  @Field({ description: 'Its name, unique in the workspace' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => AssignmentRule, { description: 'How the group picks the agent of a new conversation' })
  assignmentRule!: AssignmentRule;

  @Field({ defaultValue: false, description: '回头客优先: send a returning customer to the agent who last served them, when online and not full' })
  returningCustomerFirst!: boolean;

  @Field(() => [ID], { defaultValue: [], description: `The agents (User ids), in the group's order: positions 1, 2, 3…; each an active user who may serve conversations; at most ${MAX_GROUP_MEMBERS}` })
  @ArrayMaxSize(MAX_GROUP_MEMBERS)
  memberIds!: string[];
}

@InputType({ description: 'Changes to a service group; an absent field is left as it is (the last writer wins)' })
export class ServiceGroupUpdateInput {
  @Field(() => ID, { description: 'The group' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, unique in the workspace' })
  @IsOptional()
  @IsNotBlank()
  @MaxLength(100)
  name?: string | null;

  @Field(() => AssignmentRule, { nullable: true, description: 'New assignment rule' })
  @IsOptional()
  assignmentRule?: AssignmentRule | null;

  @Field(() => Boolean, { nullable: true, description: 'Turn returning-customer-first on or off' })
  @IsOptional()
  returningCustomerFirst?: boolean | null;

  @Field(() => [ID], { nullable: true, description: 'The members replaced, in this order (User ids; an empty list empties the group)' })
  @IsOptional()
  @ArrayMaxSize(MAX_GROUP_MEMBERS)
  memberIds?: string[] | null;
}
