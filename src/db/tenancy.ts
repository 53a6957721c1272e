import type { Dictionary, EventArgs, EventSubscriber, MikroORMOptions } from '@mikro-orm/core';

type FilterDef = MikroORMOptions['filters'][string];

import { WorkspaceScopedEntity } from './base-entity';

/** Name of the ORM filter that confines every query to one workspace. */
export const WORKSPACE_FILTER = 'workspace';

export interface WorkspaceFilterParams {
  id: string;
}

/**
 * The one mechanism of tenant isolation. A default filter on every workspace-scoped entity (and on Workspace
 * itself, by id): a query through a request's EntityManager only sees the caller's workspace, and a query with no
 * workspace set fails loudly ("No arguments provided for filter 'workspace'") instead of reading every tenant.
 * Code that must cross workspaces (login, token lookup) says so with `filters: false`.
 */
export function workspaceFilter(entities: Function[]): FilterDef {
  const scoped = entities.filter((e) => e.prototype instanceof WorkspaceScopedEntity).map((e) => e.name);
  return {
    name: WORKSPACE_FILTER,
    default: true,
    entity: [...scoped, 'Workspace'],
    cond: (args: Dictionary, _type: unknown, _em: unknown, _options: unknown, entityName?: unknown) =>
      entityName === 'Workspace' ? { id: args.id } : { workspace: args.id },
  };
}

/**
 * Stamps the caller's workspace on new rows and refuses a row for another workspace, so a service cannot write
 * across tenants by mistake either.
 */
export class WorkspaceStamp implements EventSubscriber {
  beforeCreate(args: EventArgs<any>): void {
    const entity = args.entity;
    if (!(entity instanceof WorkspaceScopedEntity)) return;
    const params = args.em.getFilterParams<WorkspaceFilterParams>(WORKSPACE_FILTER);
    if (!params) {
      if (!entity.workspace) throw new Error(`${entity.constructor.name} created outside a workspace`);
      return;
    }
    if (!entity.workspace) {
      entity.workspace = args.em.getReference('Workspace', params.id) as any;
    } else if (entity.workspace.id !== params.id) {
      throw new Error(`${entity.constructor.name} written to another workspace`);
    }
  }
}
