import { MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { IsNotBlank } from '../../../src/graphql/validation';
import { ChannelType, ReceptionMode } from '../entities/enums';

@InputType({ description: 'A new channel' })
export class ChannelCreateInput {
  @Field({ description: 'Its name' })
  @IsNotBlank()
  @MaxLength(100)
  name!: string;

  @Field(() => ChannelType, { description: 'What kind of channel' })
  type!: ChannelType;

  @Field(() => ReceptionMode, { description: 'Who receives new conversations' })
  receptionMode!: ReceptionMode;
}
