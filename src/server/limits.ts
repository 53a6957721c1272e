import { DocumentNode, FragmentDefinitionNode, GraphQLSchema, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Config } from '../config';
import { AppError } from '../graphql/errors';

export interface OperationCost {
  requested: number;
  limit: number;
  depth: number;
  maxDepth: number;
}

/** A list field costs `first` times what one item costs: fetching 100 customers with their orders is priced so. */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === 'number' ? 1 + args.first * Math.max(childComplexity, 1) : undefined;

function selectionDepth(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!set) return 0;
  let deepest = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue; // introspection is priced by the cost limit only
      deepest = Math.max(deepest, 1 + selectionDepth(selection.selectionSet, fragments, seen));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, selectionDepth(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      deepest = Math.max(deepest, selectionDepth(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

/**
 * Prices an operation before it runs (Shopify and GitHub style) and refuses one that is too deep or too costly
 * with BAD_USER_INPUT, so one request cannot make the server load the whole database.
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  config: Pick<Config, 'maxQueryDepth' | 'maxQueryCost'>,
): OperationCost {
  const limits = { maxDepth: config.maxQueryDepth, maxCost: config.maxQueryCost };
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const depth = operation ? selectionDepth(operation.selectionSet, fragments, new Set()) : 0;
  const cost: OperationCost = { requested: 0, limit: limits.maxCost, depth, maxDepth: limits.maxDepth };
  if (depth > limits.maxDepth) {
    throw new AppError('BAD_USER_INPUT', `The query is ${depth} levels deep; the limit is ${limits.maxDepth}`, {
      reason: 'QUERY_TOO_DEEP', cost, http: { status: 400 },
    });
  }
  try {
    cost.requested = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Pricing coerces the variables first, so a bad variable (an unknown enum value, say) surfaces here.
    throw new AppError('BAD_USER_INPUT', (error as Error).message, { http: { status: 400 } });
  }
  if (cost.requested > limits.maxCost) {
    throw new AppError('BAD_USER_INPUT', `The query costs ${cost.requested}; the limit is ${limits.maxCost}. Ask for fewer items (first) or fewer fields`, {
      reason: 'QUERY_TOO_COSTLY', cost, http: { status: 400 },
    });
  }
  return cost;
}
