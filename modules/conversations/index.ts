import type { Principal } from '../../src/auth';
import { contribute } from '../../src/kernel/extension-points';
import { defineModule } from '../../src/kernel/module';
import { PERSONAL_DATA } from '../customers';
import { MessageKind } from './entities/enums';
import { AgentState } from './entities/agent';
import { Channel } from './entities/channel';
import { Assignment, Conversation, Message } from './entities/conversation';
import { ConversationSettings, QuickReply } from './entities/quick-reply';
import { RoutingRule, ServiceGroup, ServiceGroupMember } from './entities/service-group';
import { PageView, Visitor } from './entities/visitor';
import { CONVERSATION_EVENTS } from './events';
import { serveQueuesOfChangedUser } from './services/agents';
import { autoReplyJobs } from './services/auto-replies';
import { botReactions } from './services/bot';
import { seedConversationsDemo } from './services/demo';
import { quickRepliesVisibleTo } from './services/quick-replies';
import { CONVERSATION_BOT } from './services/bot-point';
import { CONVERSATIONS_PERMISSIONS, conversationsPermissions } from './permissions';
import { AgentStateResolver } from './resolvers/agent';
import { ChannelResolver } from './resolvers/channel';
import { AssignmentCandidateResolver, AssignmentResolver, ConversationResolver } from './resolvers/conversation';
// Configuration side (channels, groups, routing, quick replies, settings): kept together for merges.
import { QuickReplyResolver } from './resolvers/quick-reply';
import { RoutingConditionsResolver, RoutingRuleResolver } from './resolvers/routing-rule';
import { ServiceGroupMemberResolver, ServiceGroupResolver } from './resolvers/service-group';
import { ConversationSettingsResolver } from './resolvers/settings';
// Messages, read marks, typing, live updates, page views, invitations: kept together for merges.
import { ConversationMessagesResolver, MessageResolver } from './resolvers/message';
import { ConversationLiveResolver } from './resolvers/live';
import { ConversationVisitorResolver, VisitorResolver } from './resolvers/visitor';
// Satisfaction, history and manager views (issue 9 points 10, 11, 13).
import { CustomerConversationsResolver } from './resolvers/history';
import { ConversationRatingResolver } from './resolvers/satisfaction';
import { AgentWorkloadResolver, ConversationListResolver, GroupQueueResolver, ManagerViewsResolver, VisitorCountResolver } from './resolvers/views';
import { conversationsPersonalData } from './services/history';

/** Whether the reader is a visitor, and the one of the row (read from the row only then: staff rows need not hold it). */
function isVisitor(reader: Principal, visitorIdOfRow: () => string | undefined): boolean {
  return reader.kind === 'GUEST' && reader.guest.type === 'Visitor' && reader.guest.id === visitorIdOfRow();
}

/**
 * Conversations: every channel's customer messages in one queue, assigned to agents by their group's rule, served
 * live. Builds on customers (every conversation belongs to a customer); the knowledge module answers BOT_FIRST
 * conversations through the `conversations.bot` extension point.
 */
export const conversationsModule = defineModule({
  name: 'conversations',
  requires: ['customers'],
  entities: [Channel, ServiceGroup, ServiceGroupMember, RoutingRule, AgentState, Visitor, PageView, Conversation, Message, Assignment, QuickReply, ConversationSettings],
  resolvers: [
    ChannelResolver,
    ConversationResolver, AssignmentResolver, AssignmentCandidateResolver, AgentStateResolver,
    ServiceGroupResolver, ServiceGroupMemberResolver, RoutingRuleResolver, RoutingConditionsResolver, ConversationSettingsResolver,
    QuickReplyResolver,
    MessageResolver, ConversationMessagesResolver, ConversationLiveResolver, VisitorResolver, ConversationVisitorResolver,
    ConversationRatingResolver, CustomerConversationsResolver,
    ManagerViewsResolver, GroupQueueResolver, AgentWorkloadResolver, VisitorCountResolver, ConversationListResolver,
  ],
  permissions: conversationsPermissions,
  nodeTypes: {
    Channel: { entity: Channel, permission: CONVERSATIONS_PERMISSIONS.read },
    ServiceGroup: { entity: ServiceGroup, permission: CONVERSATIONS_PERMISSIONS.read },
    RoutingRule: { entity: RoutingRule, permission: CONVERSATIONS_PERMISSIONS.read },
    // A visitor (guest token) reads their own record (the widget's visitorPageView payload).
    Visitor: { entity: Visitor, permission: CONVERSATIONS_PERMISSIONS.read, ownRecord: (v: Visitor, reader) => isVisitor(reader, () => v.id) },
    // A visitor (guest token) reads their own conversations and their messages other than internal notes.
    Conversation: { entity: Conversation, permission: CONVERSATIONS_PERMISSIONS.read, ownRecord: (c: Conversation, reader) => isVisitor(reader, () => c.visitor.id) },
    Message: {
      entity: Message, permission: CONVERSATIONS_PERMISSIONS.read,
      ownRecord: (m: Message, reader) => isVisitor(reader, () => (m.kind === MessageKind.NOTE ? undefined : m.conversation.visitor?.id)),
    },
    Assignment: { entity: Assignment, permission: CONVERSATIONS_PERMISSIONS.manage },
    // A personal quick reply is its owner's alone: null by id for anyone else, a manager or the owner included.
    QuickReply: { entity: QuickReply, permission: CONVERSATIONS_PERMISSIONS.read, visibleTo: quickRepliesVisibleTo },
  },
  objectTypes: {
    ...Object.fromEntries(['BusinessHoursDay', 'AutoReplySettings', 'RoutingConditions', 'VisitorContext', 'PageView', 'AgentState', 'ServiceGroupMember', 'ConversationSettings'].map((name) => [name, { permission: CONVERSATIONS_PERMISSIONS.read }])),
    ...Object.fromEntries(['AssignmentReason', 'AssignmentCandidate'].map((name) => [name, { permission: CONVERSATIONS_PERMISSIONS.manage }])),
    ...Object.fromEntries(['QueueEvent', 'QueueSummary'].map((name) => [name, { permission: CONVERSATIONS_PERMISSIONS.read }])),
    // Manager views (resolvers/views.ts).
    GroupQueue: { permission: CONVERSATIONS_PERMISSIONS.read },
    VisitorCount: { permission: CONVERSATIONS_PERMISSIONS.read },
    AgentWorkload: { permission: CONVERSATIONS_PERMISSIONS.manage },
  },
  // Live envelopes: their subscriptions check, when they start, that the caller may follow the conversation
  // (staff or its visitor); the records inside keep their own read rules.
  openTypes: ['MessageEvent', 'ConversationEvent', 'TypingSignal'],
  events: Object.values(CONVERSATION_EVENTS),
  jobs: autoReplyJobs,
  seedDemo: seedConversationsDemo,
  on: [...botReactions, serveQueuesOfChangedUser],
  extensionPoints: [CONVERSATION_BOT],
  contributes: [contribute(PERSONAL_DATA, conversationsPersonalData)],
});

// The public face: what other modules may import of this one (test/import-boundaries.test.ts).
export { Conversation, Message } from './entities/conversation';
export { CONVERSATION_EVENTS } from './events';
export { CONVERSATIONS_PERMISSIONS } from './permissions';
export { CONVERSATION_BOT, type BotAnswer, type BotQuestion, type ConversationBot } from './services/bot-point';
