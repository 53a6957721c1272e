import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { AuthChecker, buildSchemaSync } from 'type-graphql';
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

/** The one schema, from every module's resolvers (plus `node`), with the read rules applied to its object types. */
export function buildAppSchema(registry: ModuleRegistry): GraphQLSchema {
  const schema = buildSchemaSync({
    resolvers: [NodeResolver, ...registry.resolvers],
    authChecker,
    authMode: 'error',
    pubSub: unusedGlobalPubSub,
    validate: false, // inputs are validated by services, which turn problems into userErrors
  });
  applyReadRules(schema, registry);
  return schema;
}

/** The schema as committed in schema.graphql: sorted, so that the file changes only when the schema does. */
export function schemaSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
