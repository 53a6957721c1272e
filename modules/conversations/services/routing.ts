import type { RoutingRule } from '../entities/service-group';
import type { VisitorContext } from '../entities/visitor';

/** Placeholder until the admin branch lands its matcher. */
export function matchRoutingRule(_rules: RoutingRule[], _channelId: string, _context: VisitorContext): RoutingRule | undefined {
  return undefined;
}
