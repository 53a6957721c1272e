import type { RequestContext } from '../../../src/context';
import { Role, User } from '../../../src/auth';
import { identifyCustomer } from '../../customers';
import { AgentState } from '../entities/agent';
import { Channel } from '../entities/channel';
import { Conversation } from '../entities/conversation';
import { AgentStatus, AssignmentRule, AuthorKind, ChannelType, ConversationStatus, MessageKind, ReceptionMode } from '../entities/enums';
import { QuickReply } from '../entities/quick-reply';
import { RoutingRule, ServiceGroup, ServiceGroupMember } from '../entities/service-group';
import { Visitor } from '../entities/visitor';
import { momentOf } from './agents';
import { newWidgetKey } from './channels';
import { route } from './intake';
import { closeLocked, lockForChange } from './lifecycle';
import { addMessage } from './messages';

/** Demo visitors (customers of the customers demo, by their taobao id): who they are, where they came from, what they ask, and whether the talk is over (with a rating). */
const VISITORS = [
  { buyer: 'tb_demo_001', keyword: '连衣裙 夏季 新款', region: '浙江', ask: '这款连衣裙有 S 码吗？什么时候发货？', channel: 0, closed: { score: 5, tags: ['服务热情', '回复及时'], comment: '客服很耐心' } },
  { buyer: 'tb_demo_004', keyword: '退货 运费', region: '上海', ask: '收到的鞋子尺码不对，想退货，运费谁出？', channel: 0, closed: { score: 4, tags: ['问题已解决'], comment: null } },
  { buyer: 'tb_demo_007', keyword: '防晒霜', region: '广东', ask: '敏感肌可以用这款防晒吗？', channel: 1, closed: null },
  { buyer: 'tb_demo_010', keyword: '退款 进度', region: '北京', ask: '我的退款申请三天了还没到账', channel: 0, closed: null },
  { buyer: 'tb_demo_013', keyword: '优惠券', region: '江苏', ask: '满 299 减 30 的券怎么领？', channel: 1, closed: null },
  { buyer: 'tb_demo_016', keyword: '发票', region: '四川', ask: '可以开增值税专用发票吗？', channel: 2, closed: null },
  { buyer: 'tb_demo_019', keyword: '尺码表', region: '浙江', ask: '165cm 50kg 穿什么码？', channel: 0, closed: null },
];

/**
 * Two groups (售前组 round-robin, 售后组 least-load with returning customers first), five agents, three channels, a
 * routing rule that sends returns and refunds to 售后组, quick replies, and a few conversations in Chinese: rated
 * history, conversations in progress and a waiting one, routed and assigned by the real engine.
 */
export async function seedConversationsDemo(ctx: RequestContext): Promise<void> {
  await ctx.transaction(async (tx) => {
    const em = tx.em;
    const agents = await em.find(User, { role: Role.AGENT }, { orderBy: { email: 'asc' } });
    const [xiaomei, ajie, xiaoyu, dawei, lili] = agents;
    const presales = em.create(ServiceGroup, { name: '售前组', assignmentRule: AssignmentRule.ROUND_ROBIN });
    const afterSales = em.create(ServiceGroup, { name: '售后组', assignmentRule: AssignmentRule.LEAST_LOAD, returningCustomerFirst: true });
    [xiaomei, ajie, xiaoyu].forEach((agent, i) => em.create(ServiceGroupMember, { group: presales, agent, position: i + 1 }));
    [xiaoyu, dawei, lili].forEach((agent, i) => em.create(ServiceGroupMember, { group: afterSales, agent, position: i + 1 }));
    const autoReplies = { greeting: '您好，欢迎光临小鹿优选！请问有什么可以帮您？', noAgentOnline: '客服暂时不在线，留言后我们会尽快回复您', queueWaitSeconds: 60, queueWaitMessage: '当前咨询人数较多，请您耐心等待' };
    const channels = [
      em.create(Channel, { name: '官网在线客服', type: ChannelType.WEB, receptionMode: ReceptionMode.HUMAN_FIRST, defaultGroup: presales, widgetKey: newWidgetKey(), autoReplies }),
      em.create(Channel, { name: '微信公众号', type: ChannelType.WECHAT_OFFICIAL, receptionMode: ReceptionMode.BOT_FIRST, defaultGroup: presales, widgetKey: newWidgetKey(), autoReplies }),
      em.create(Channel, { name: '客服热线', type: ChannelType.PHONE, receptionMode: ReceptionMode.HUMAN_ONLY, defaultGroup: afterSales, widgetKey: newWidgetKey(), autoReplies: {} }),
    ];
    em.create(RoutingRule, { name: '退货退款转售后', position: 1, conditions: { sourceKeywords: ['退货', '退款', '换货'] }, targetGroup: afterSales });
    for (const [title, content, shortcut, category] of [
      ['欢迎语', '您好，我是小鹿优选客服，很高兴为您服务！', 'hi', '通用'],
      ['发货时间', '现货商品下单后 48 小时内发货，预售商品以详情页时间为准。', 'fh', '售前'],
      ['七天无理由', '本店支持七天无理由退货，商品需保持完好、不影响二次销售。', 'th', '售后'],
      ['结束语', '感谢您的耐心等待，祝您购物愉快！如有问题随时联系我们。', 'bye', '通用'],
    ]) em.create(QuickReply, { title, content, shortcut, category });
    em.create(QuickReply, { owner: xiaomei, title: '我的尺码建议', content: '亲，根据您的身高体重，建议选 M 码哦～', shortcut: 'cm', category: '售前' });
    // Four agents at work (丽丽 is off today), so some conversations wait.
    const now = new Date();
    for (const agent of [xiaomei, ajie, xiaoyu, dawei]) em.create(AgentState, { agent, status: AgentStatus.ONLINE, onlineSince: now, capacity: 2 });
    em.create(AgentState, { agent: lili, status: AgentStatus.OFFLINE, capacity: 3 });
    await em.flush();

    for (const [i, visitor] of VISITORS.entries()) {
      const channel = channels[visitor.channel];
      const { customer } = await identifyCustomer(tx, { externalId: { platform: 'taobao', value: visitor.buyer } }, ['demo']);
      const at = await momentOf(tx);
      const context = { sourceKeyword: visitor.keyword, region: visitor.region, landingPage: `https://shop.xiaolu.example/item/${1000 + i}`, device: i % 2 ? 'iPhone' : 'PC' };
      const seen = em.create(Visitor, { channel, customer, context, lastSeenAt: at.now });
      const conversation = em.create(Conversation, { channel, visitor: seen, customer, status: ConversationStatus.QUEUED, context, createdAt: at.now });
      addMessage(tx, conversation, { authorKind: AuthorKind.VISITOR, kind: MessageKind.TEXT, content: visitor.ask }, at.now);
      if (channel.autoReplies.greeting) addMessage(tx, conversation, { authorKind: AuthorKind.SYSTEM, kind: MessageKind.TEXT, content: channel.autoReplies.greeting }, at.now);
      await route(tx, conversation, channel, at);
      await em.flush();
      if (conversation.status !== ConversationStatus.ACTIVE) continue;
      addMessage(tx, conversation, { authorKind: AuthorKind.AGENT, authorUserId: conversation.assignee!.id, kind: MessageKind.TEXT, content: '亲，您好！我来帮您看一下～' });
      if (!visitor.closed) continue;
      addMessage(tx, conversation, { authorKind: AuthorKind.VISITOR, kind: MessageKind.TEXT, content: '好的，谢谢！' });
      await em.flush();
      const { groups } = await lockForChange(tx, conversation.id, [], { system: true });
      await closeLocked(tx, conversation, groups);
      Object.assign(conversation, { ratingScore: visitor.closed.score, ratingTags: visitor.closed.tags, ratingComment: visitor.closed.comment, ratedAt: new Date() });
      await em.flush();
    }
  });
}
