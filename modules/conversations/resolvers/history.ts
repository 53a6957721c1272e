import { Args, Authorized, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { Customer } from '../../customers';
import { Conversation } from '../entities/conversation';
import { CustomerConversationsArgs } from '../graphql/views';
import { CONVERSATIONS_PERMISSIONS } from '../permissions';
import { conversationsOfCustomer } from '../services/history';

const ConversationConnection = Connection(Conversation);

/**
 * Adds `conversations` to the customers module's Customer type: a module extends another's type with a resolver
 * of that type in its own resolver list (README, "Modules, their public faces and extension points").
 */
@Resolver(() => Customer)
export class CustomerConversationsResolver {
  @Authorized(CONVERSATIONS_PERMISSIONS.read)
  @FieldResolver(() => ConversationConnection, {
    description: "The customer's conversations 历史会话 on every channel, whoever served them (other agents, the bot alone); newest first (conversations:read)",
  })
  conversations(@Root() customer: Customer, @Args(() => CustomerConversationsArgs) args: CustomerConversationsArgs, @Ctx() ctx: RequestContext) {
    return conversationsOfCustomer(ctx, customer.id, args);
  }
}
