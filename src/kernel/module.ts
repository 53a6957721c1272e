import type { NonEmptyArray } from 'type-graphql';
import type { Principal } from '../auth/principal';
import type { Role } from '../auth/roles';
import type { AppServices, RequestContext } from '../context';
import type { DomainEvent, EventRefs, EventType } from './events';

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
}

/** Declares a reaction with its handler typed by the event's refs. */
export function onEvent<Refs extends EventRefs>(
  event: EventType<Refs>, name: string, handler: Reaction<Refs>['handler'], retry?: Reaction<Refs>['retry'],
): Reaction<Refs> {
  return { event, name, handler, retry };
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
  /** Records the reader may read without the permission: their own (their user, their key, their workspace). */
  ownRecord?: (row: any, reader: Principal) => boolean;
}

export interface NodeTypeDefinition extends ReadRule {
  entity: Function;
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
   * Contributions to other modules' extension points, keyed by the point's name. The module that owns a point
   * documents its shape and reads the contributions with `registry.contributionsTo(point)`; for example the
   * customers module collects every module's handling of a customer's personal data (export, erase, merge).
   */
  contributes?: Record<string, unknown>;
}

export interface BackgroundWork {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Declares a module; a function rather than a bare object so that the shape is checked where it is written. */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
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

  constructor(readonly modules: ModuleDefinition[]) {
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

  /** The reactions to a topic, in registry order. */
  reactionsTo(topic: string): RegisteredReaction[] {
    return [...this.reactions.values()].filter((r) => r.event.topic === topic);
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

  /** What the modules contribute to an extension point, in registry order. */
  contributionsTo<T>(point: string): T[] {
    return this.modules.flatMap((m) => (m.contributes && point in m.contributes ? [m.contributes[point] as T] : []));
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
