import { Role } from '../auth/roles';
import { pruneEvents } from '../kernel/event-log';
import { defineModule, type JobDefinition, type PermissionDefinition } from '../kernel/module';
import { JOBS_MANAGE } from './permissions';
import { FailedJobResolver } from './resolvers';

const jobPermissions: PermissionDefinition[] = [
  {
    name: JOBS_MANAGE,
    description: "See the workspace's background work (module reactions, jobs) that failed after its last retry, and run it again",
    roles: [Role.OWNER],
    scopable: false,
  },
];

/** The event log's retention: events older than EVENT_RETENTION_DAYS go, hourly. */
export const pruneEventLogJob: JobDefinition = {
  name: 'events.prune',
  schedule: '17 * * * *',
  async handler(ctx) {
    const before = new Date(Date.now() - ctx.app.config.eventRetentionDays * 24 * 3600 * 1000);
    const count = await pruneEvents(ctx.app.orm, before);
    ctx.app.logger.info({ count, before }, 'event log pruned');
  },
};

/** Background work of the platform itself: the event log's retention, and failed jobs for the OWNER to see and retry. */
export const jobsModule = defineModule({
  name: 'jobs',
  entities: [],
  resolvers: [FailedJobResolver],
  permissions: jobPermissions,
  objectTypes: { FailedJob: { permission: JOBS_MANAGE } },
  jobs: [pruneEventLogJob],
});
