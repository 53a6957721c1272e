import { Migrator } from '@mikro-orm/migrations';
import { SqlSchemaGenerator, type DatabaseSchema, type EntityManager } from '@mikro-orm/postgresql';
import type { MikroORM } from '@mikro-orm/core';

/** The column every workspace table carries, and on which a Citus cluster would distribute them. */
export const WORKSPACE_COLUMN = 'workspace_id';

const tableNameOf = (qualified: string) => qualified.split('.').pop()!;

/**
 * Widens every foreign key between two workspace tables to include the workspace: `(workspace_id, customer_id)`
 * → `customer (workspace_id, id)`, the target of which is the `(workspace_id, id)` unique key that
 * WorkspaceScopedEntity declares. PostgreSQL then refuses a row that points at another workspace's record, and the
 * keys are the ones Citus accepts between tables distributed by workspace_id (README, Production notes).
 *
 * The ORM keeps the uuid `id` as identity and its relations as single columns (`customer_id`), so it cannot
 * declare such a key itself; this rewrites the foreign keys of the schema it expects, so that the schema diff
 * (`npm run migration:create`) creates them and afterwards sees no difference. One rule for every module's
 * tables, nothing to remember per relation.
 */
export function widenWorkspaceForeignKeys(schema: DatabaseSchema): void {
  const scoped = new Set(schema.getTables().filter((t) => t.hasColumn(WORKSPACE_COLUMN)).map((t) => t.name));
  for (const table of schema.getTables()) {
    if (!scoped.has(table.name)) continue;
    const foreignKeys = table.getForeignKeys();
    for (const [name, key] of Object.entries(foreignKeys)) {
      if (!scoped.has(tableNameOf(key.referencedTableName)) || key.columnNames.includes(WORKSPACE_COLUMN)) continue;
      if (key.deleteRule?.toLowerCase() === 'set null') {
        // It would set workspace_id to null as well; PostgreSQL 15's `set null (column)` is not what the ORM writes.
        throw new Error(`${table.name}.${key.columnNames.join(', ')}: 'set null' cannot apply to a key that includes ${WORKSPACE_COLUMN}`);
      }
      delete foreignKeys[name];
      const columnNames = [WORKSPACE_COLUMN, ...key.columnNames];
      const constraintName = `${table.name}_${columnNames.join('_')}_foreign`;
      // No `on update`: ids and workspaces never change, and Citus refuses a cascading update of the
      // distribution column (the ORM would ask for `on update cascade`).
      const { updateRule: _cascade, ...rest } = key;
      foreignKeys[constraintName] = {
        ...rest, constraintName, columnNames, referencedColumnNames: [WORKSPACE_COLUMN, ...key.referencedColumnNames],
      };
    }
  }
}

/** The ORM's schema generator, with workspace foreign keys widened (see widenWorkspaceForeignKeys). */
export class WorkspaceSchemaGenerator extends SqlSchemaGenerator {
  override getTargetSchema(schema?: string): DatabaseSchema {
    const target = super.getTargetSchema(schema);
    widenWorkspaceForeignKeys(target);
    return target;
  }

  static override register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/schema-generator', () => new WorkspaceSchemaGenerator(orm.em as EntityManager));
  }
}

/** The ORM's migrator, comparing the database with the schema WorkspaceSchemaGenerator expects. */
export class WorkspaceMigrator extends Migrator {
  constructor(em: EntityManager) {
    super(em);
    // The migrator builds its schema generator in its constructor and offers no option to choose it.
    (this as unknown as { schemaGenerator: SqlSchemaGenerator }).schemaGenerator = new WorkspaceSchemaGenerator(em);
  }

  static override register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/migrator', () => new WorkspaceMigrator(orm.em as EntityManager));
  }
}
