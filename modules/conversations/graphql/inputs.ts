import { IsEmail, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsNotBlank } from '../../../src/graphql/validation';
import { AgentStatus } from '../entities/enums';

@InputType({ description: 'Who the visitor is, as the channel knows them; all optional (an anonymous visitor gets a placeholder customer)' })
export class VisitorInput {
  @Field(() => String, { nullable: true, description: "The channel's own id of the visitor (an openid, the widget's visitor id): the same id is the same customer" })
  @IsOptional()
  @MaxLength(100)
  externalId?: string | null;

  @Field(() => String, { nullable: true, description: 'Name, for a new customer' })
  @IsOptional()
  @MaxLength(100)
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Phone: finds the customer who has it' })
  @IsOptional()
  @MaxLength(30)
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Email: finds the customer who has it' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string | null;
}

@InputType({ description: 'Where the visitor came from, as the widget or connector knows it' })
export class VisitorContextInput {
  @Field(() => String, { nullable: true, description: 'Search words that brought the visitor' })
  @IsOptional()
  @MaxLength(200)
  sourceKeyword?: string | null;

  @Field(() => String, { nullable: true, description: 'First page of the visit' })
  @IsOptional()
  @MaxLength(2000)
  landingPage?: string | null;

  @Field(() => String, { nullable: true, description: 'Referring page or site' })
  @IsOptional()
  @MaxLength(2000)
  referrer?: string | null;

  @Field(() => String, { nullable: true, description: 'The page the conversation is started from' })
  @IsOptional()
  @MaxLength(2000)
  originatingPage?: string | null;

  @Field(() => String, { nullable: true, description: 'Region (province or city)' })
  @IsOptional()
  @MaxLength(50)
  region?: string | null;

  @Field(() => String, { nullable: true, description: 'Device' })
  @IsOptional()
  @MaxLength(100)
  device?: string | null;
}

@InputType({ description: 'A visitor starts (or, with an open one on the channel, continues) a conversation' })
export class ConversationStartInput {
  @Field(() => ID, { description: 'The channel' })
  channelId!: string;

  @Field(() => String, { nullable: true, description: "The channel's public widget key: how the chat widget starts conversations without a user or API key" })
  @IsOptional()
  @MaxLength(100)
  widgetKey?: string | null;

  @Field(() => VisitorInput, { nullable: true, description: 'Who the visitor is' })
  @IsOptional()
  @ValidateNested()
  visitor?: VisitorInput | null;

  @Field(() => VisitorContextInput, { nullable: true, description: 'Where the visitor came from' })
  @IsOptional()
  @ValidateNested()
  context?: VisitorContextInput | null;

  @Field({ description: "The visitor's first message (plain text)" })
  @IsNotBlank()
  @MaxLength(5000)
  message!: string;
}

@InputType({ description: 'The conversation to act on' })
export class ConversationIdInput {
  @Field(() => ID, { description: 'The conversation' })
  id!: string;
}

@InputType({ description: 'Hand a conversation to another agent or group' })
export class ConversationTransferInput {
  @Field(() => ID, { description: 'The conversation' })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'To this agent (ONLINE, with free capacity)' })
  @IsOptional()
  toAgentId?: string | null;

  @Field(() => ID, { nullable: true, description: "To this group: assigned by its rule, or queued" })
  @IsOptional()
  toGroupId?: string | null;

  @Field(() => String, { nullable: true, description: 'An internal note for the next agent' })
  @IsOptional()
  @MaxLength(1000)
  note?: string | null;
}

@InputType({ description: 'Escalate a conversation to a manager' })
export class ConversationEscalateInput {
  @Field(() => ID, { description: 'The conversation' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Why (an internal note)' })
  @IsOptional()
  @MaxLength(1000)
  reason?: string | null;
}

@InputType({ description: 'The caller sets their own status' })
export class AgentStatusSetInput {
  @Field(() => AgentStatus, { description: 'The new status' })
  status!: AgentStatus;
}

@InputType({ description: "A manager sets an agent's capacity" })
export class AgentCapacitySetInput {
  @Field(() => ID, { description: 'The agent (a user)' })
  userId!: string;

  @Field(() => Int, { description: 'How many conversations the agent may serve at once (0 to 100)' })
  capacity!: number;
}
