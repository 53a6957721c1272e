export const JOBS_MANAGE = 'jobs:manage';
