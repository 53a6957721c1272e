import { Field, ObjectType } from 'type-graphql';
import { MutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';

@ObjectType({ description: 'Result of channelCreate' })
export class ChannelPayload extends MutationPayload {
  @Field(() => Channel, { nullable: true, description: 'The new channel; null when userErrors is not empty' })
  channel?: Channel | null;
}
