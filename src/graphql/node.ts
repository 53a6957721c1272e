import { Field, ID, InterfaceType } from 'type-graphql';

/** Relay's Node: anything with a global id can be fetched with `node(id)`. */
@InterfaceType('Node', {
  description: 'An object with a global id, fetchable with `node(id)`',
  resolveType: (value: { typeName?: string; constructor: Function }) => value.typeName ?? value.constructor.name,
})
export abstract class Node {
  /** Named like BaseEntity's getter so that the interface's resolver reads the global id, not the uuid. */
  @Field(() => ID, { name: 'id', description: 'Global id' })
  globalId!: string;
}
