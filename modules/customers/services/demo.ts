import type { RequestContext } from '../../../src/context';

export async function seedCustomersDemo(_ctx: RequestContext): Promise<void> {}
