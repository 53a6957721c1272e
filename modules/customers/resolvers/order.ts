import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection } from '../../../src/graphql/connection';
import { tryFromGlobalId } from '../../../src/graphql/global-id';
import { COST } from '../../../src/graphql/cost';
import { Money } from '../../../src/graphql/money';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Customer } from '../entities/customer';
import { Order, OrderItem } from '../entities/order';
import { OrdersArgs } from '../graphql/args';
import { OrderInput, OrdersImportInput } from '../graphql/inputs';
import { OrdersImportPayload, OrderUpsertPayload } from '../graphql/types';
import { currencyOfOrder, customerById, itemsOfOrder } from '../loaders';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import { importOrders, upsertOrder } from '../services/orders';
import { listOrders } from '../services/search';

const OrderConnection = Connection(Order);

@Resolver(() => Order)
export class OrderResolver {
  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => Order, {
    nullable: true,
    description: 'An order by id; null (without an error) when no such order is in your workspace, or the id is not an Order id',
  })
  async order(@Arg('id', () => ID, { description: 'Global id of the order' }) id: string, @Ctx() ctx: RequestContext): Promise<Order | null> {
    const uuid = tryFromGlobalId(id, 'Order');
    return uuid ? ctx.em.findOne(Order, uuid) : null;
  }

  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => OrderConnection, {
    description: 'Orders of the workspace, found by order number, external id, platform, customer, state or time placed; latest first unless sorted otherwise',
  })
  orders(@Args() args: OrdersArgs, @Ctx() ctx: RequestContext) {
    return listOrders(ctx, args);
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => OrderUpsertPayload, { description: 'Create or update one order, idempotent by (platform, externalId)' })
  orderUpsert(@Arg('input', { description: 'The fields of the input type' }) input: OrderInput, @Ctx() ctx: RequestContext): Promise<OrderUpsertPayload> {
    return mutationPayload(OrderUpsertPayload, () => upsertOrder(ctx, input));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => OrdersImportPayload, {
    description: 'Import up to 1,000 orders: valid rows commit, refused rows come back as userErrors with their index',
    complexity: COST.BULK,
  })
  ordersImport(@Arg('input', { description: 'The fields of the input type' }) input: OrdersImportInput, @Ctx() ctx: RequestContext): Promise<OrdersImportPayload> {
    return importOrders(ctx, input);
  }

  @FieldResolver(() => Customer, { description: 'Who placed the order' })
  async customer(@Root() order: Order, @Ctx() ctx: RequestContext): Promise<Customer> {
    return (await customerById(ctx).load(order.customer.id))!;
  }

  @FieldResolver(() => [OrderItem], { description: 'Lines of the order' })
  items(@Root() order: Order, @Ctx() ctx: RequestContext): Promise<OrderItem[]> {
    return itemsOfOrder(ctx).load(order.id);
  }
}

@Resolver(() => OrderItem)
export class OrderItemResolver {
  @FieldResolver(() => Money, { description: 'Price of one unit, exact, in the currency of the order', complexity: COST.VALUE })
  async unitPrice(@Root() item: OrderItem, @Ctx() ctx: RequestContext): Promise<Money> {
    return Money.of(item.unitPrice, (await currencyOfOrder(ctx).load(item.order.id))!);
  }
}
