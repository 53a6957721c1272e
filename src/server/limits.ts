import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  ASTNode,
  DocumentNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  GraphQLSchema,
  isLeafType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  type ParseOptions,
  type ValidationRule,
  visit,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { fieldExtensionsEstimator, getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Config } from '../config';
import { DEFAULT_PAGE_SIZE } from '../graphql/connection';
import { COST } from '../graphql/cost';
import type { Principal } from '../auth/principal';
import { AppError } from '../graphql/errors';
import { checkInputText } from './input-text';
import { chargeBudget, type CostBuckets } from './rate-limit';


export interface ThrottleStatus {
  /** Points the client's bucket holds when full (on this instance: see RATE_LIMIT_INSTANCES). */
  maximumAvailable: number;
  /** Points left after this request. */
  currentlyAvailable: number;
  /** Points the bucket regains each second. */
  restoreRate: number;
}

export interface OperationCost {
  /** The price computed before execution; the bucket is charged this. */
  requested: number;
  /** Not measured after execution (see the README): always null, the requested cost is what is charged. */
  actual: null;
  limit: number;
  depth: number;
  maxDepth: number;
  throttleStatus?: ThrottleStatus;
}

/** `first` (or `last`, for backward paging) times one item; a paged list without either costs its default page. */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) return undefined;
  const count = [args.first, args.last].find((n): n is number => typeof n === 'number') ?? DEFAULT_PAGE_SIZE;
  return 1 + count * Math.max(childComplexity, 1);
};

/** Scalars are free, objects cost 1, root mutation fields cost COST.MUTATION (unless declared otherwise). */
function shopifyEstimator(schema: GraphQLSchema): ComplexityEstimator {
  return ({ type, field, childComplexity }) => {
    if (type === schema.getMutationType()) return COST.MUTATION + childComplexity;
    return isLeafType(getNamedType(field.type)) ? 0 : 1 + childComplexity;
  };
}

/** Graphql's own parser stops counting at this many tokens, before building a huge document. */
export function parseOptions(config: Pick<Config, 'maxQueryTokens'>): ParseOptions {
  return { maxTokens: config.maxQueryTokens };
}

/**
 * Validation rules that bound a document's size: graphql-armor's alias and directive counters (they count each
 * fragment once, so they stay linear), reporting a validation error instead of throwing.
 */
export function limitRules(config: Pick<Config, 'maxQueryAliases' | 'maxQueryDirectives'>): ValidationRule[] {
  const report = [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)];
  const options = { exposeLimits: true, propagateOnRejection: false, onReject: report };
  return [
    maxAliasesRule({ ...options, n: config.maxQueryAliases }) as ValidationRule,
    maxDirectivesRule({ ...options, n: config.maxQueryDirectives }) as ValidationRule,
  ];
}

/** Size of a selection set with every fragment spread expanded, computed without expanding anything. */
interface Shape {
  /** Levels of fields below this set (introspection fields not counted: the cost limit prices those). */
  depth: number;
  /** Fields and spreads a walk that expands every spread would visit. */
  nodes: number;
  /** Fields at this set's own level, through spreads and inline fragments. */
  fields: number;
}

/**
 * Measures an operation in time linear in the document: each fragment is measured once and remembered, so a
 * fragment spread twice by each of 20 others (2^20 expansions) costs 21 measurements. Walking every spread instead
 * (as graphql-query-complexity does) is exponential, so the node count is checked before pricing.
 */
function measure(operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>): Shape {
  const measured = new Map<string, Shape | 'in progress'>();
  const ofSet = (set: SelectionSetNode | undefined): Shape => {
    const shape: Shape = { depth: 0, nodes: 0, fields: 0 };
    for (const selection of set?.selections ?? []) {
      let inner: Shape;
      if (selection.kind === Kind.FIELD) {
        const child = ofSet(selection.selectionSet);
        const introspection = selection.name.value.startsWith('__');
        inner = { depth: introspection ? 0 : 1 + child.depth, nodes: 1 + child.nodes, fields: 1 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = ofSet(selection.selectionSet);
      } else {
        inner = ofFragment(selection.name.value);
        inner = { ...inner, nodes: 1 + inner.nodes };
      }
      shape.depth = Math.max(shape.depth, inner.depth);
      shape.nodes += inner.nodes;
      shape.fields += inner.fields;
    }
    return shape;
  };
  const ofFragment = (name: string): Shape => {
    const known = measured.get(name);
    if (known === 'in progress') {
      throw new AppError('BAD_USER_INPUT', `Fragment ${name} spreads itself`, { reason: 'FRAGMENT_CYCLE', http: { status: 400 } });
    }
    if (known) return known;
    measured.set(name, 'in progress');
    const shape = ofSet(fragments.get(name)?.selectionSet); // an unknown fragment is left to validation
    measured.set(name, shape);
    return shape;
  };
  return ofSet(operation.selectionSet);
}

type Limits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxRootFields' | 'maxQueryNodes'>;

/** What pricing one operation of a document found, kept with the document (see `pricesOf`). */
interface OperationPrices {
  shape: Shape;
  /** The variables whose values the price depends on (read by an estimator or a directive), sorted. */
  costVariables: string[];
  /** Prices by the values of `costVariables` (JSON); bounded: a client paging through a list sends many `first`s. */
  costs: LRUCache<string, number>;
}

/**
 * Prices per document and operation. Pricing (graphql-query-complexity walks the document with graphql-js's TypeInfo
 * and coerces the variables) is most of the cost check, and clients send the same few documents again and again:
 * Apollo hands the same DocumentNode object for the same text (its document store, an LRU), so a WeakMap keyed by it
 * forgets a document when Apollo does. A document's text cannot change, so its shape is computed once; its price
 * may depend on variables (`first: $first`, `ids: $ids`, `@include(if: $x)`), so it is kept per value of those.
 */
const pricesOf = new WeakMap<DocumentNode, Map<string, OperationPrices>>();
const COSTS_PER_OPERATION = 64;

/** Variables used anywhere inside an AST node (an argument's value may be a list or object holding them). */
function variablesIn(node: ASTNode, into: Set<string>): Set<string> {
  visit(node, { Variable: (variable) => void into.add(variable.name.value) });
  return into;
}

/**
 * The estimators, each given `args` through a proxy that notes which arguments it reads, and so which variables the
 * price depends on. Written here because graphql-query-complexity reports a number only; the estimators themselves
 * (`complexity` functions in the schema included) stay free to read any argument.
 */
function trackingEstimators(estimators: ComplexityEstimator[], read: Set<string>): ComplexityEstimator[] {
  return estimators.map((estimator) => (options) => {
    const argument = (name: string | symbol) => {
      const node = options.node.arguments?.find((a) => a.name.value === name);
      if (node) variablesIn(node.value, read);
    };
    const args = new Proxy(options.args, {
      get: (target, key, receiver) => (argument(key), Reflect.get(target, key, receiver)),
      has: (target, key) => (argument(key), Reflect.has(target, key)),
      getOwnPropertyDescriptor: (target, key) => (argument(key), Reflect.getOwnPropertyDescriptor(target, key)),
      ownKeys: (target) => {
        for (const node of options.node.arguments ?? []) variablesIn(node.value, read);
        return Reflect.ownKeys(target);
      },
    });
    return estimator({ ...options, args });
  });
}

/**
 * Prices an operation before it runs (Shopify and GitHub style) and refuses one that is too deep, too wide or
 * too costly with BAD_USER_INPUT, so one request cannot make the server load the whole database.
 */
function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  config: Limits,
): OperationCost {
  const operations = pricesOf.get(document) ?? new Map<string, OperationPrices>();
  pricesOf.set(document, operations);
  let prices = operations.get(operationName ?? '');
  if (!prices) {
    const fragments = new Map<string, FragmentDefinitionNode>();
    const definitions: OperationDefinitionNode[] = [];
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      if (definition.kind === Kind.OPERATION_DEFINITION) definitions.push(definition);
    }
    const operation = operationName ? definitions.find((o) => o.name?.value === operationName) : definitions[0];
    const shape = operation ? measure(operation, fragments) : { depth: 0, nodes: 0, fields: 0 };
    // @skip and @include decide which fields are priced at all; their variables count wherever they are.
    const inDirectives = new Set<string>();
    visit(document, { Directive: (directive) => void variablesIn(directive, inDirectives) });
    prices = { shape, costVariables: [...inDirectives].sort(), costs: new LRUCache({ max: COSTS_PER_OPERATION }) };
    operations.set(operationName ?? '', prices);
  }
  const { shape } = prices;
  const cost: OperationCost = { requested: 0, actual: null, limit: config.maxQueryCost, depth: shape.depth, maxDepth: config.maxQueryDepth };
  const refuse = (reason: string, message: string) => new AppError('BAD_USER_INPUT', message, { reason, cost, http: { status: 400 } });
  if (shape.nodes > config.maxQueryNodes) {
    throw refuse('QUERY_TOO_LARGE', `The query selects ${shape.nodes} fields once its fragments are expanded; the limit is ${config.maxQueryNodes}`);
  }
  if (shape.depth > config.maxQueryDepth) {
    throw refuse('QUERY_TOO_DEEP', `The query is ${shape.depth} levels deep; the limit is ${config.maxQueryDepth}`);
  }
  if (shape.fields > config.maxRootFields) {
    throw refuse('TOO_MANY_ROOT_FIELDS', `The operation has ${shape.fields} root fields; the limit is ${config.maxRootFields}. Send several requests`);
  }
  // [] for a variable not sent (its default applies), [value] for one sent, null included
  const key = (names: string[]) => JSON.stringify(names.map((name) => (variables && Object.hasOwn(variables, name) ? [variables[name]] : [])));
  const known = prices.costs.get(key(prices.costVariables));
  if (known !== undefined) {
    cost.requested = known;
  } else {
    const read = new Set(prices.costVariables);
    try {
      cost.requested = getComplexity({
        schema,
        query: document,
        variables: variables ?? {},
        operationName: operationName ?? undefined,
        estimators: trackingEstimators([fieldExtensionsEstimator(), connectionEstimator, shopifyEstimator(schema)], read),
      });
    } catch (error) {
      // Pricing coerces the variables first, so a bad variable (an unknown enum value, say) surfaces here; with a price
      // already known, execution refuses it the same way (BAD_USER_INPUT, status 400).
      throw new AppError('BAD_USER_INPUT', (error as Error).message, { http: { status: 400 } });
    }
    if (read.size > prices.costVariables.length) {
      // Values read now for the first time (a field @include'd this time): the prices kept so far have other keys.
      prices.costVariables = [...read].sort();
      prices.costs.clear();
    }
    prices.costs.set(key(prices.costVariables), cost.requested);
  }
  if (cost.requested > config.maxQueryCost) {
    throw refuse('QUERY_TOO_COSTLY', `The query costs ${cost.requested}; the limit is ${config.maxQueryCost}. Ask for fewer items (first) or fewer fields`);
  }
  return cost;
}

/**
 * What every operation passes before it runs, the same over HTTP and WebSocket: its text (no NUL or lone
 * surrogate), its size and price, then the caller's budget is charged. Returns the cost for `extensions.cost`.
 */
export function admitOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  config: Limits,
  buckets: CostBuckets,
  payer: { principal?: Principal; clientIp?: string },
): OperationCost {
  checkInputText(document, variables);
  const cost = checkOperationLimits(schema, document, variables, operationName, config);
  chargeBudget(buckets, payer, cost);
  return cost;
}
