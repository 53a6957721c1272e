import { Field, ObjectType } from 'type-graphql';
import { MutationPayload } from '../../../src/graphql/user-errors';
import { Channel } from '../entities/channel';
import { ServiceGroup } from '../entities/service-group';

/** Payloads of the configuration side: service groups, channels, routing rules, quick replies, settings. */

@ObjectType({ description: 'Result of serviceGroupCreate and serviceGroupUpdate' })
export class ServiceGroupPayload extends MutationPayload {
  @Field(() => ServiceGroup, { nullable: true, description: 'The group as saved; null when userErrors is not empty' })
  serviceGroup?: ServiceGroup | null;
}

@ObjectType({ description: 'Result of channelCreate and channelUpdate' })
export class ChannelPayload extends MutationPayload {
  @Field(() => Channel, { nullable: true, description: 'The channel as saved; null when userErrors is not empty' })
  channel?: Channel | null;
}
