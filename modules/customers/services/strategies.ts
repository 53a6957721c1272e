import { BehaviorType, PersonalityType } from '../entities/enums';

/**
 * Handling strategies (应对策略) per classification. FRIENDLY and DOMINANT are the courseware's own words (module 7
 * unit 2); the courseware text for the others is cut off in the sources, so theirs are written from the traits it
 * lists — see the module README.
 */
export const PERSONALITY_STRATEGIES: Record<PersonalityType, string> = {
  [PersonalityType.FRIENDLY]: '友善型：提供最好的服务，不因为对方的宽容和理解而放松对自己的要求。',
  [PersonalityType.DOMINANT]: '独断型：小心应对，尽可能满足其要求，让其有被尊重的感觉。',
  [PersonalityType.ANALYTICAL]: '分析型：真诚对待，公正处理，用事实和合理的解释争取对方的理解。',
  [PersonalityType.SELF_CENTERED]: '自我型：以礼相待，合理要求尽量满足，不合理的要求耐心解释并坚持原则。',
};

export const BEHAVIOR_STRATEGIES: Record<BehaviorType, string> = {
  [BehaviorType.DEMANDING]: '要求型：认真倾听、确认诉求，在规则范围内尽量满足，并说明能做到与做不到之处。',
  [BehaviorType.CONFUSED]: '困惑型：耐心讲解、主动引导，用简单明了的方式帮助其找到所需。',
  [BehaviorType.AGITATED]: '激动型：先处理情绪再处理事情，保持冷静、表示理解，尽快给出解决方案。',
};

/** The strategies that apply to a customer, one line per classification; null when unclassified. */
export function handlingStrategy(personality?: PersonalityType, behavior?: BehaviorType): string | null {
  const lines = [personality && PERSONALITY_STRATEGIES[personality], behavior && BEHAVIOR_STRATEGIES[behavior]].filter(Boolean);
  return lines.length ? lines.join('\n') : null;
}
