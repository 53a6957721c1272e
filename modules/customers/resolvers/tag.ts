import { Arg, Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../src/context';
import { Connection, paginate } from '../../../src/graphql/connection';
import { TAG_SORT } from '../graphql/args';
import { mutationPayload } from '../../../src/graphql/user-errors';
import { Tag } from '../entities/tag';
import { CustomerTagsInput, TagCreateInput, TagDeleteInput, TagUpdateInput } from '../graphql/inputs';
import { CustomerTagsPayload, TagDeletePayload, TagPayload } from '../graphql/types';
import { CUSTOMER_PERMISSIONS } from '../permissions';
import * as tags from '../services/tags';

const TagConnection = Connection(Tag);

@Resolver(() => Tag)
export class TagResolver {
  @Authorized(CUSTOMER_PERMISSIONS.read)
  @Query(() => TagConnection, { description: 'Tag definitions of the workspace, by name unless sorted otherwise' })
  tags(@Args(() => TAG_SORT.Args) args: InstanceType<typeof TAG_SORT.Args>, @Ctx() ctx: RequestContext) {
    return paginate(ctx.em, Tag, {}, args, TAG_SORT.sortKey(args.sort));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => TagPayload, { description: 'Define a tag; names are unique in the workspace' })
  tagCreate(@Arg('input', { description: 'The fields of the input type' }) input: TagCreateInput, @Ctx() ctx: RequestContext): Promise<TagPayload> {
    return mutationPayload(TagPayload, async () => ({ tag: await tags.createTag(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => TagPayload, { description: 'Rename, recolor, regroup or redescribe a tag' })
  tagUpdate(@Arg('input', { description: 'The fields of the input type' }) input: TagUpdateInput, @Ctx() ctx: RequestContext): Promise<TagPayload> {
    return mutationPayload(TagPayload, async () => ({ tag: await tags.updateTag(ctx, input) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => TagDeletePayload, { description: 'Delete a tag; it is taken off every customer' })
  tagDelete(@Arg('input', { description: 'The fields of the input type' }) input: TagDeleteInput, @Ctx() ctx: RequestContext): Promise<TagDeletePayload> {
    return mutationPayload(TagDeletePayload, async () => ({ deletedTagId: await tags.deleteTag(ctx, input.id) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerTagsPayload, { description: 'Put tags on customers, in bulk; tags already there stay' })
  customerTagsAdd(@Arg('input', { description: 'The fields of the input type' }) input: CustomerTagsInput, @Ctx() ctx: RequestContext): Promise<CustomerTagsPayload> {
    return mutationPayload(CustomerTagsPayload, async () => ({ customers: await tags.changeCustomerTags(ctx, input, true) }));
  }

  @Authorized(CUSTOMER_PERMISSIONS.write)
  @Mutation(() => CustomerTagsPayload, { description: 'Take tags off customers, in bulk' })
  customerTagsRemove(@Arg('input', { description: 'The fields of the input type' }) input: CustomerTagsInput, @Ctx() ctx: RequestContext): Promise<CustomerTagsPayload> {
    return mutationPayload(CustomerTagsPayload, async () => ({ customers: await tags.changeCustomerTags(ctx, input, false) }));
  }
}
