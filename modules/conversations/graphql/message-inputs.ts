import { IsOptional, MaxLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { IsNotBlank } from '../../../src/graphql/validation';
import { MessageKind } from '../entities/enums';

@InputType({ description: 'A message from an agent or from the conversation\'s visitor' })
export class MessageSendInput {
  @Field(() => ID, { description: 'The conversation (a visitor: their own)' })
  conversationId!: string;

  @Field(() => MessageKind, { description: 'What the content is; NOTE (internal) is for staff only' })
  kind!: MessageKind;

  @Field({ description: 'Text, HTML (RICH_TEXT: sanitised), an http(s) URL (IMAGE, LINK) or an emoji / short code (EMOJI); at most 5,000 characters' })
  @IsNotBlank()
  @MaxLength(5000)
  content!: string;
}

@InputType({ description: "The caller's side (the visitor's, or the agents') has read the conversation up to a message" })
export class ConversationMarkReadInput {
  @Field(() => ID, { description: 'The conversation' })
  id!: string;

  @Field(() => Int, { description: 'The seq of the last message read' })
  seq!: number;
}

@InputType({ description: 'The caller started or stopped typing in a conversation' })
export class TypingSetInput {
  @Field(() => ID, { description: 'The conversation' })
  conversationId!: string;

  @Field({ description: 'true while typing, false when stopped' })
  typing!: boolean;
}

@InputType({ description: 'A page the widget\'s visitor viewed: with their visitor token, or (a first visit) with the channel and its widget key' })
export class VisitorPageViewInput {
  @Field(() => ID, { nullable: true, description: 'The channel (without a visitor token)' })
  @IsOptional()
  channelId?: string | null;

  @Field(() => String, { nullable: true, description: "The channel's public widget key (without a visitor token)" })
  @IsOptional()
  @MaxLength(100)
  widgetKey?: string | null;

  @Field({ description: 'The page (http or https)' })
  @IsNotBlank()
  @MaxLength(2000)
  url!: string;

  @Field(() => String, { nullable: true, description: "The page's title" })
  @IsOptional()
  @MaxLength(300)
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'The referring page or site' })
  @IsOptional()
  @MaxLength(2000)
  referrer?: string | null;
}

@InputType({ description: 'An agent invites a browsing visitor into a conversation' })
export class ConversationInviteInput {
  @Field(() => ID, { description: 'The visitor' })
  visitorId!: string;

  @Field({ description: "The agent's first message (plain text)" })
  @IsNotBlank()
  @MaxLength(5000)
  message!: string;
}
