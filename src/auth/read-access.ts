import { GraphQLSchema, isAbstractType, isObjectType, type GraphQLIsTypeOfFn } from 'graphql';
import type { RequestContext } from '../context';
import { AppError } from '../graphql/errors';
import type { ModuleRegistry, ReadRule } from '../kernel/module';

/**
 * Object types that only carry other objects or the answer to the caller's own request: connections, edges,
 * payloads, paging and errors, and the platform's value objects (Money), read only as a field of a checked record.
 * They are open; what they lead to is checked where it is reached.
 */
export function isStructuralType(name: string): boolean {
  return ['Query', 'Mutation', 'Subscription', 'PageInfo', 'UserError', 'Money'].includes(name) || /(Connection|Edge|Payload)$/.test(name);
}

/** True when the reader may read this object of a type with this rule. */
function mayRead(ctx: RequestContext, rule: ReadRule, row: unknown): boolean {
  const reader = ctx.reader;
  return !!reader && (reader.permissions.has(rule.permission) || (rule.ownRecord?.(row, reader) ?? false));
}

/**
 * The read rule for one object, for a list that leaves a forbidden object out instead of failing (nodes(ids)):
 * the same answer the schema's check gives, own records included.
 */
export function mayReadObject(ctx: RequestContext, typeName: string, row: unknown): boolean {
  const rule = ctx.app.registry.readRules.get(typeName);
  return !!rule && mayRead(ctx, rule, row);
}

/**
 * The one read rule, applied to the built schema: an object of a type with a read rule reaches the response only if
 * the reader holds the type's permission (or it is their own record), whichever field reached it: a root field, a
 * relation such as FollowUp.author or AuditEntry.actor, `node(id)`, a payload or a subscription event. Without it
 * the field that reached the object is null with a FORBIDDEN error naming the permission
 * (`extensions.missingPermissions`). So a key with only customers:read cannot read staff through follow-ups,
 * however the relation is written.
 *
 * The check is graphql-js's `isTypeOf` hook, which the executor calls once per object before resolving its fields:
 * one set lookup per object, no wrapper around each field. (Type resolution of Node and every other abstract type
 * goes through its `resolveType`, checked here, so `isTypeOf` is never asked "is this that type?".)
 *
 * Start-up fails when an object type has neither a rule nor is declared open: a new type must say who reads it.
 */
export function applyReadRules(schema: GraphQLSchema, registry: ModuleRegistry): void {
  const problems: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isAbstractType(type) && !type.resolveType) problems.push(`abstract type ${type.name} needs a resolveType`);
    if (!isObjectType(type) || isStructuralType(type.name) || registry.openTypes.has(type.name)) continue;
    const rule = registry.readRules.get(type.name);
    if (!rule) {
      problems.push(`object type ${type.name} has no read rule: declare it in its module's nodeTypes or objectTypes (or openTypes)`);
      continue;
    }
    if (type.isTypeOf) problems.push(`object type ${type.name} already has an isTypeOf`);
    const guard: GraphQLIsTypeOfFn<unknown, RequestContext> = (row, ctx) => {
      if (mayRead(ctx, rule, row)) return true;
      throw AppError.forbidden([rule.permission]);
    };
    type.isTypeOf = guard;
  }
  if (problems.length) throw new Error(`read rules: ${problems.join('; ')}`);
}
