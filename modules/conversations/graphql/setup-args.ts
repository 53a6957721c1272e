import { IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { defineSort, SortDirection } from '../../../src/graphql/connection';

export const CHANNEL_SORT = defineSort('Channel', {
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' },
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name' },
}, 'CREATED_AT');

@ArgsType()
export class ChannelsArgs extends CHANNEL_SORT.Args {}

export const SERVICE_GROUP_SORT = defineSort('ServiceGroup', {
  NAME: { property: 'name', type: 'text', direction: SortDirection.ASC, description: 'Name' },
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' },
}, 'NAME');

export const QUICK_REPLY_SORT = defineSort('QuickReply', {
  TITLE: { property: 'title', type: 'text', direction: SortDirection.ASC, description: 'Title' },
  CREATED_AT: { property: 'createdAt', type: 'timestamp', direction: SortDirection.DESC, description: 'When it was created' },
}, 'TITLE');

@ArgsType()
export class QuickRepliesArgs extends QUICK_REPLY_SORT.Args {
  @Field(() => String, { nullable: true, description: 'Only this category' })
  @IsOptional()
  @MaxLength(50)
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'Text in the title, content or shortcut (case-insensitive)' })
  @IsOptional()
  @MaxLength(100)
  search?: string | null;
}
