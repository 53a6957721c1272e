import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { AuthChecker, buildSchemaSync, getMetadataStorage } from 'type-graphql';
import { applyReadRules } from '../auth/read-access';
import type { RequestContext } from '../context';
import { AppError } from '../graphql/errors';
import { NodeResolver } from './node-resolver';
import { unusedGlobalPubSub } from '../graphql/subscriptions';
import type { ModuleRegistry } from '../kernel/module';

/**
 * `@Authorized()` asks for a principal; `@Authorized('customers:write')` for that permission as well
 * (all listed permissions when several are given). A refusal is FORBIDDEN naming the permissions (over HTTP and
 * WebSocket alike, since both run this check).
 */
const authChecker: AuthChecker<RequestContext, string> = ({ context }, permissions) => {
  if (!context.principal) throw AppError.unauthenticated();
  const missing = permissions.filter((permission) => !context.can(permission));
  if (missing.length) throw AppError.forbidden(permissions, missing);
  return true;
};

/**
 * A module adds a field to another module's type with a `@FieldResolver` (e.g. conversations' Customer.conversations).
 * type-graphql adds that field to the type as soon as the resolver's file is imported, registered or not, and without
 * its resolver the field would answer nothing. So a schema built without the resolver's module, in a process that
 * imported it (a test server with fewer modules), is refused at start, naming the field.
 */
function refuseUnregisteredFields(schema: GraphQLSchema, resolvers: Function[]): void {
  const storage = getMetadataStorage();
  const problems = storage.fieldResolvers
    .filter((field) => field.kind === 'external' && !resolvers.includes(field.target))
    .flatMap((field) => {
      const typeName = storage.objectTypes.find((type) => type.target === field.getObjectType?.())?.name;
      const type = typeName ? schema.getType(typeName) : undefined;
      const onType = type && 'getFields' in type && type.getFields()[field.schemaName];
      return onType ? [`${typeName}.${field.schemaName} (resolver ${field.target.name}, whose module is not registered)`] : [];
    });
  if (problems.length) throw new Error(`fields without their resolver: ${problems.join('; ')}: register the module or do not import it`);
}

/** The one schema, from every module's resolvers (plus `node`), with the read rules applied to its object types. */
export function buildAppSchema(registry: ModuleRegistry): GraphQLSchema {
  const schema = buildSchemaSync({
    resolvers: [NodeResolver, ...registry.resolvers],
    authChecker,
    authMode: 'error',
    pubSub: unusedGlobalPubSub,
    validate: false, // inputs are validated by services, which turn problems into userErrors
  });
  refuseUnregisteredFields(schema, [NodeResolver, ...registry.resolvers]);
  applyReadRules(schema, registry);
  return schema;
}

/** The schema as committed in schema.graphql: sorted, so that the file changes only when the schema does. */
export function schemaSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
