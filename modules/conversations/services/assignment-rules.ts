import type { AssignmentCandidate, AssignmentReason } from '../entities/conversation';
import { AssignedBy, AssignmentRule } from '../entities/enums';

/** An online agent of the group with room, with the figures the rules compare (read under the agent's row lock). */
export interface Candidate extends AssignmentCandidate {
  agentId: string;
  /** Position in the group's order. */
  position: number;
}

/** Where round-robin stopped: the online-since time and id of the agent who got the group's last conversation. */
export interface RoundRobinCursor {
  onlineSince: Date | null;
  agentId: string | null;
}

export interface Choice {
  agentId: string;
  rule: AssignedBy;
  reason: AssignmentReason;
}

const time = (date: Date | null | undefined) => (date ? date.getTime() : Number.NEGATIVE_INFINITY);

/**
 * The tie-break of every rule: the agent longest since their last assignment (never assigned counts as longest),
 * then the agent id, so that equal figures always give the same answer.
 */
function byLongestIdle(a: Candidate, b: Candidate): number {
  return time(a.lastAssignedAt) - time(b.lastAssignedAt) || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);
}

/** Candidates in round-robin order: by the time they came online, then id. */
function byOnlineSince(a: Candidate, b: Candidate): number {
  return time(a.onlineSince) - time(b.onlineSince) || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);
}

/**
 * Picks the agent for a conversation by the group's rule, exactly as the domain page defines each rule, and says
 * why: the summary, every candidate with its figures, and the tie-break when one was needed. `candidates` are the
 * group's ONLINE agents with room; empty → undefined (the conversation waits in the queue).
 */
export function chooseAgent(rule: AssignmentRule, candidates: Candidate[], cursor: RoundRobinCursor): Choice | undefined {
  if (!candidates.length) return undefined;
  const considered = candidates.map(({ agentId, position, activeCount, capacity, handledToday, onlineSince, lastAssignedAt }) => ({
    agentId, position, activeCount, capacity, handledToday, onlineSince, lastAssignedAt,
  }));
  const of = `of ${candidates.length} online agent${candidates.length === 1 ? '' : 's'} with room`;
  switch (rule) {
    case AssignmentRule.ROUND_ROBIN: {
      const ordered = [...candidates].sort(byOnlineSince);
      const after = ordered.find((c) => cursor.agentId !== null && byOnlineSince(c, { onlineSince: cursor.onlineSince, agentId: cursor.agentId } as Candidate) > 0);
      const chosen = after ?? ordered[0];
      const turn = after ? 'next after the last one served' : cursor.agentId ? 'back to the first (the last one served was the last in turn)' : 'first in turn';
      return { agentId: chosen.agentId, rule: AssignedBy.ROUND_ROBIN, reason: { summary: `ROUND_ROBIN: ${turn}, in order of coming online, ${of}`, candidates: considered, tieBreak: null } };
    }
    case AssignmentRule.SEQUENTIAL: {
      const chosen = [...candidates].sort((a, b) => a.position - b.position)[0];
      return { agentId: chosen.agentId, rule: AssignedBy.SEQUENTIAL, reason: { summary: `SEQUENTIAL: position ${chosen.position}, the first in the group's order ${of}`, candidates: considered, tieBreak: null } };
    }
    case AssignmentRule.LEAST_LOAD:
      return byFewest(candidates, considered, 'activeCount', AssignedBy.LEAST_LOAD, (n) => `LEAST_LOAD: ${n} in progress, the fewest ${of}`);
    case AssignmentRule.FILL_UP:
      return byFewest(candidates, considered, 'handledToday', AssignedBy.FILL_UP, (n) => `FILL_UP: ${n} handled today, the fewest ${of}`);
  }
}

function byFewest(candidates: Candidate[], considered: AssignmentCandidate[], figure: 'activeCount' | 'handledToday', rule: AssignedBy, summary: (n: number) => string): Choice {
  const fewest = Math.min(...candidates.map((c) => c[figure]));
  const tied = candidates.filter((c) => c[figure] === fewest).sort(byLongestIdle);
  const chosen = tied[0];
  const tieBreak = tied.length > 1 ? `${tied.length} agents had ${fewest}: the one longest since their last assignment` : null;
  return { agentId: chosen.agentId, rule, reason: { summary: summary(fewest), candidates: considered, tieBreak } };
}

/** The choice of returning-customer-first: the agent who last served the customer, online, in the group and with room. */
export function returningCustomerChoice(candidates: Candidate[], lastAgentId: string): Choice | undefined {
  const agent = candidates.find((c) => c.agentId === lastAgentId);
  if (!agent) return undefined;
  return {
    agentId: agent.agentId,
    rule: AssignedBy.RETURNING_CUSTOMER,
    reason: { summary: 'RETURNING_CUSTOMER: the agent who last served this customer is online and has room', candidates: [agent], tieBreak: null },
  };
}
