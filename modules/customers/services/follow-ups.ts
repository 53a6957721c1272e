import type { RequestContext } from '../../../src/context';
import { UserErrorCode, UserInputFailure, validateInput } from '../../../src/graphql/user-errors';
import { FollowUp } from '../entities/follow-up';
import type { FollowUpCreateInput } from '../graphql/inputs';
import { CUSTOMER_EVENTS } from '../events';
import { assertNotErased, customerForInput } from './customers';

/**
 * Records a follow-up by the caller. It becomes the customer's pending one when it plans a next contact, and ends
 * whatever follow-up was pending before: the due list shows each customer's latest plan only.
 */
export async function createFollowUp(ctx: RequestContext, input: FollowUpCreateInput): Promise<FollowUp> {
  await validateInput(input);
  return ctx.transaction(async (tx) => {
    // Locked until commit, so a concurrent erase or merge runs wholly before or after this follow-up.
    const customer = await customerForInput(tx, input.customerId, ['input', 'customerId'], 'share');
    assertNotErased(customer, ['input', 'customerId']);
    const happenedAt = input.happenedAt ?? new Date();
    if (happenedAt.getTime() > Date.now() + 60_000) throw UserInputFailure.of(['input', 'happenedAt'], 'happenedAt cannot be in the future', UserErrorCode.DATE_IN_FUTURE);
    if (input.nextFollowUpOn && input.nextFollowUpOn < (await ctx.clock()).dateOf(happenedAt)) {
      throw UserInputFailure.of(['input', 'nextFollowUpOn'], 'nextFollowUpOn cannot be before the follow-up itself', UserErrorCode.DATE_OUT_OF_ORDER);
    }
    await tx.em.nativeUpdate(FollowUp, { customer: customer.id, pending: true }, { pending: false });
    const followUp = tx.em.create(FollowUp, {
      customer, authorUserId: ctx.caller.userId, method: input.method, content: input.content.trim(),
      outcome: input.outcome?.trim() || undefined, happenedAt, nextFollowUpOn: input.nextFollowUpOn ?? undefined,
      pending: Boolean(input.nextFollowUpOn),
    });
    tx.audit({ action: 'customers.followUp.create', subjectType: 'FollowUp', subjectId: followUp.id, changes: { customerNo: customer.customerNo, method: input.method } });
    tx.emit(CUSTOMER_EVENTS.followUpCreated, followUp.id, { customerId: customer.id });
    return followUp;
  });
}
