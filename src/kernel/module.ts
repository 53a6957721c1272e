import type { FilterQuery } from '@mikro-orm/core';
import type { NonEmptyArray } from 'type-graphql';
import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';
import type { AppServices, RequestContext } from '../context';
import type { DomainEvent, EventRefs, EventType } from './events';
import type { Contribution, ExtensionPoint } from './extension-points';

/** A permission a module declares: which roles hold it, and whether partners may ask for it as an API-key scope. */
export interface PermissionDefinition {
  /** `<module>:<action>`, e.g. `customers:read`. */
  name: string;
  description: string;
  roles: Role[];
  /** API keys may carry it as a scope (never for user and key administration). */
  scopable: boolean;
  /**
   * Permissions that come with this one. Writing implies reading: a mutation's payload returns the record, so a
   * key that may write customers reads them too, as every role that writes also reads.
   */
  implies?: string[];
}

/** Background work run by pg-boss on whichever instance has workers; `schedule` is a cron line (UTC). */
export interface JobDefinition<Data extends object = any> {
  name: string;
  schedule?: string;
  /** Runs with a system context of no workspace; a handler working in one uses `RequestContext.forSystem(ctx.app, workspaceId)`. */
  handler(ctx: RequestContext, data: Data): Promise<void>;
}

/**
 * What a module does when another module's (or its own) event is written: run as a background job after the
 * change committed, at least once, retried with backoff (`retry`, default 8 tries from 4 s, doubling), in a
 * system context inside the event's workspace. At least once means twice now and then: a handler is idempotent,
 * keyed by `event.position` (unique per event). Jobs that fail for good are listed by `failedJobs`.
 */
export interface Reaction<Refs extends EventRefs = EventRefs> {
  event: EventType<Refs>;
  /** Unique within the module; the job is named `<module>.<name>` (keep it stable: queued jobs refer to it). */
  name: string;
  handler(ctx: RequestContext, event: DomainEvent<Refs>): Promise<void>;
  retry?: { limit: number; delaySeconds: number };
  /**
   * Whether an event of the topic needs this reaction at all, decided from the event and the registry when the event
   * is written: no job is queued when it says no. For reactions that most events of their topic do not concern
   * (asking the bot only about visitors' messages, and only when a bot is contributed), since every queued job costs
   * a fetch, a run and a completion on some instance.
   */
  when?: (event: DomainEvent<Refs>, registry: ModuleRegistry) => boolean;
}

/** Declares a reaction with its handler typed by the event's refs. */
export function onEvent<Refs extends EventRefs>(
  event: EventType<Refs>, name: string, handler: Reaction<Refs>['handler'], options: Pick<Reaction<Refs>, 'retry' | 'when'> = {},
): Reaction<Refs> {
  return { event, name, handler, ...options };
}

export interface RegisteredReaction extends Reaction<any> {
  /** `<module>.<name>`. */
  key: string;
}

/**
 * Who may read objects of a GraphQL type, wherever they are reached: a root field, a relation, `node(id)`, a
 * payload or a subscription (the one rule of src/auth/read-access.ts).
 */
export interface ReadRule {
  /** Permission needed to read the type; without it the field that reached the object is FORBIDDEN (null). */
  permission: string;
  /**
   * Records the reader may read without the permission: their own (staff: their user, their key, their workspace;
   * a guest, `reader.kind === 'GUEST'`: what its record owns, e.g. its conversation's messages).
   */
  ownRecord?: (row: any, reader: Principal) => boolean;
}

export interface NodeTypeDefinition extends ReadRule {
  entity: Function;
  /**
   * For records private to one person (a personal quick reply), which a permission cannot hide from a manager: the
   * rows of the type this caller may load by id at all, as a query condition. `node(id)` and `nodes(ids)` answer
   * null for any other row, as for a missing one, whatever the caller's permissions.
   */
  visibleTo?: (ctx: RequestContext) => FilterQuery<any>;
}

/** Rows a module adds to a workspace's demo data (development only). */
export type DemoSeeder = (ctx: RequestContext) => Promise<void>;

/** What a feature module contributes to the one schema and the one database. */
export interface ModuleDefinition {
  /** Short lower-case name, also the permission prefix. */
  name: string;
  entities: Function[];
  resolvers: Function[];
  permissions: PermissionDefinition[];
  /** GraphQL object type name → entity class and the permission to read it, so that `node(id)` can load it. */
  nodeTypes?: Record<string, NodeTypeDefinition>;
  /** The module's other object types → the permission to read them; every object type has a rule or is open. */
  objectTypes?: Record<string, ReadRule>;
  /**
   * Object types readable by anyone who reaches them, since they hold no record of their own (the caller's own
   * view, a catalogue). Connections, edges, payloads, PageInfo and UserError are open without being listed.
   */
  openTypes?: string[];
  jobs?: JobDefinition[];
  /** The events this module emits (from its events.ts); no two modules may declare the same topic. */
  events?: EventType<any>[];
  /** Reactions to events of this or other modules (declared by some module of the server). */
  on?: Reaction<any>[];
  /**
   * Long-running work of the module (e.g. the webhook sender), started on instances with JOB_WORKERS once the
   * server is up, and stopped before the database closes.
   */
  background?: (app: AppServices) => BackgroundWork;
  seedDemo?: DemoSeeder;
  /**
   * Names of the modules this one needs (it imports their public faces and calls their services): each must be
   * registered, earlier in the list (checked at start). The platform's own modules (identity, audit, jobs, demo)
   * always come first and need not be listed.
   */
  requires?: string[];
  /** Extension points this module owns (`defineExtensionPoint`), which other modules may contribute to. */
  extensionPoints?: ExtensionPoint<any>[];
  /**
   * Contributions to other modules' extension points (`contribute(point, handler)`, type-checked against the
   * point); for example every module that keeps data about customers contributes a handler of their personal
   * data (export, erase, merge) to the customers module's `PERSONAL_DATA`.
   */
  contributes?: Contribution[];
}

export interface BackgroundWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Declares a module; a function rather than a bare object so that the shape is checked where it is written. */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}

/**
 * Refuses, at start, two modules of one name, and a module whose required modules are missing or come after it
 * (so that each module's schema parts, demo data and contributions come after those of the modules it builds on).
 */
function checkRequirements(modules: ModuleDefinition[]) {
  const position = new Map<string, number>();
  modules.forEach((module, index) => {
    if (position.has(module.name)) throw new Error(`module ${module.name} registered twice`);
    position.set(module.name, index);
  });
  modules.forEach((module, index) => {
    for (const required of module.requires ?? []) {
      const at = position.get(required);
      if (at === undefined) throw new Error(`module ${module.name} requires module ${required}, which is not registered`);
      if (at > index) throw new Error(`module ${module.name} requires module ${required}, which must come before it in the module list`);
    }
  });
}

/** The modules of one server, in the order given by the registry, with their contributions merged. */
export class ModuleRegistry {
  readonly permissions = new Map<string, PermissionDefinition>();
  readonly nodeTypes = new Map<string, NodeTypeDefinition>();
  /** Object type name → who may read it (node types and the modules' other object types). */
  readonly readRules = new Map<string, ReadRule>();
  readonly openTypes = new Set<string>();
  readonly jobs: JobDefinition[] = [];
  private readonly topics = new Map<string, EventType<any>>();
  private readonly reactions = new Map<string, RegisteredReaction>();
  /** Every declared extension point → the handlers contributed to it, in registry order. */
  private readonly contributions = new Map<ExtensionPoint<any>, unknown[]>();

  constructor(readonly modules: ModuleDefinition[]) {
    checkRequirements(modules);
    this.collectContributions();
    const topics = this.topics;
    for (const module of modules) {
      for (const permission of module.permissions) {
        if (this.permissions.has(permission.name)) throw new Error(`permission ${permission.name} declared twice`);
        this.permissions.set(permission.name, permission);
      }
    }
    for (const permission of this.permissions.values()) {
      for (const implied of permission.implies ?? []) {
        if (!this.permissions.has(implied)) throw new Error(`${permission.name} implies unknown permission ${implied}`);
      }
    }
    for (const module of modules) {
      for (const [name, node] of Object.entries(module.nodeTypes ?? {})) this.nodeTypes.set(name, node);
      for (const [name, rule] of [...Object.entries(module.nodeTypes ?? {}), ...Object.entries(module.objectTypes ?? {})]) {
        if (this.readRules.has(name) || this.openTypes.has(name)) throw new Error(`read rule of GraphQL type ${name} declared twice`);
        if (!this.permissions.has(rule.permission)) throw new Error(`GraphQL type ${name} needs unknown permission ${rule.permission}`);
        this.readRules.set(name, rule);
      }
      for (const name of module.openTypes ?? []) {
        if (this.readRules.has(name) || this.openTypes.has(name)) throw new Error(`read rule of GraphQL type ${name} declared twice`);
        this.openTypes.add(name);
      }
      for (const event of module.events ?? []) {
        const topic = event.topic;
        if (!topic.startsWith(`${module.name}.`)) throw new Error(`event topic ${topic} of module ${module.name} must start with "${module.name}."`);
        if (topics.has(topic)) throw new Error(`event topic ${topic} declared twice`);
        topics.set(topic, event);
      }
      this.jobs.push(...(module.jobs ?? []));
    }
    for (const module of modules) {
      for (const reaction of module.on ?? []) {
        const key = `${module.name}.${reaction.name}`;
        if (!topics.has(reaction.event.topic)) throw new Error(`reaction ${key} listens to ${reaction.event.topic}, which no module declares`);
        if (this.reactions.has(key)) throw new Error(`reaction ${key} declared twice`);
        this.reactions.set(key, { ...reaction, key });
      }
    }
  }

  /** The reactions an event needs (its topic's, less those whose `when` declines it), in registry order. */
  reactionsTo(event: DomainEvent): RegisteredReaction[] {
    return [...this.reactions.values()].filter((r) => r.event.topic === event.topic && (!r.when || r.when(event, this)));
  }

  reaction(key: string): RegisteredReaction | undefined {
    return this.reactions.get(key);
  }

  /** Whether some module declares the topic. */
  declares(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** The declared event of a topic. */
  eventType(topic: string): EventType<any> | undefined {
    return this.topics.get(topic);
  }

  /** Every declared event, in registry order. */
  get eventTypes(): EventType<any>[] {
    return [...this.topics.values()];
  }

  get entities(): Function[] {
    return this.modules.flatMap((m) => m.entities);
  }

  get resolvers(): NonEmptyArray<Function> {
    return this.modules.flatMap((m) => m.resolvers) as NonEmptyArray<Function>;
  }

  /** The given permissions with everything they imply. */
  withImplied(names: Iterable<string>): Set<string> {
    const result = new Set<string>();
    const add = (name: string) => {
      if (result.has(name)) return;
      result.add(name);
      this.permissions.get(name)?.implies?.forEach(add);
    };
    for (const name of names) add(name);
    return result;
  }

  /**
   * Refuses, at start, a point declared twice, a contribution to a point no registered module declares, and a
   * second contribution to a point that takes one.
   */
  private collectContributions() {
    const owners = new Map<string, string>();
    for (const module of this.modules) {
      for (const point of module.extensionPoints ?? []) {
        const owner = owners.get(point.name);
        if (owner) throw new Error(`extension point ${point.name} declared by both ${owner} and ${module.name}`);
        owners.set(point.name, module.name);
        this.contributions.set(point, []);
      }
    }
    /** A point that takes one contribution → the module that made it. */
    const contributor = new Map<ExtensionPoint<any>, string>();
    for (const module of this.modules) {
      for (const { point, handler } of module.contributes ?? []) {
        const handlers = this.contributions.get(point);
        if (!handlers) throw new Error(`module ${module.name} contributes to unknown extension point ${point.name}: no registered module declares it`);
        if (!point.many) {
          const first = contributor.get(point);
          if (first) throw new Error(`extension point ${point.name} takes one contribution, but ${first} and ${module.name} both contribute to it`);
          contributor.set(point, module.name);
        }
        handlers.push(handler);
      }
    }
  }

  /** The handlers contributed to an extension point, in registry order. */
  contributionsTo<Handler>(point: ExtensionPoint<Handler>): Handler[] {
    const handlers = this.contributions.get(point);
    if (!handlers) throw new Error(`extension point ${point.name} is not declared by any registered module`);
    return handlers as Handler[];
  }

  /** The one handler contributed to a point that takes one contribution, or undefined when none is. */
  contributionTo<Handler>(point: ExtensionPoint<Handler>): Handler | undefined {
    if (point.many) throw new Error(`extension point ${point.name} takes many contributions: read them with contributionsTo`);
    return this.contributionsTo(point)[0];
  }

  private readonly rolePermissions = new Map<Role, ReadonlySet<string>>();

  /** The permissions a role holds, from every module's declarations (computed once per role). */
  permissionsOf(role: Role): ReadonlySet<string> {
    let permissions = this.rolePermissions.get(role);
    if (!permissions) {
      permissions = this.withImplied([...this.permissions.values()].filter((p) => p.roles.includes(role)).map((p) => p.name));
      this.rolePermissions.set(role, permissions);
    }
    return permissions;
  }
}
