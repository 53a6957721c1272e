import { registerEnumType } from 'type-graphql';

export enum ChannelType {
  WEB = 'WEB',
  MOBILE_WEB = 'MOBILE_WEB',
  APP = 'APP',
  WECHAT_OFFICIAL = 'WECHAT_OFFICIAL',
  WECHAT_MINI_PROGRAM = 'WECHAT_MINI_PROGRAM',
  WECHAT_PERSONAL = 'WECHAT_PERSONAL',
  PHONE = 'PHONE',
  EMAIL = 'EMAIL',
  SOCIAL = 'SOCIAL',
  API = 'API',
}
registerEnumType(ChannelType, {
  name: 'ChannelType',
  description: 'Where customers reach the shop; every channel lands in the one queue',
  valuesConfig: {
    WEB: { description: 'Chat widget on the desktop web shop' },
    MOBILE_WEB: { description: 'Chat widget on the mobile web shop' },
    APP: { description: "The shop's app" },
    WECHAT_OFFICIAL: { description: 'WeChat official account 公众号' },
    WECHAT_MINI_PROGRAM: { description: 'WeChat mini-program 小程序' },
    WECHAT_PERSONAL: { description: 'Personal WeChat 个人微信' },
    PHONE: { description: 'Telephone' },
    EMAIL: { description: 'Email' },
    SOCIAL: { description: 'Social media (Weibo, Douyin, …)' },
    API: { description: 'Any other connector, through the API' },
  },
});

export enum ReceptionMode {
  BOT_FIRST = 'BOT_FIRST',
  HUMAN_FIRST = 'HUMAN_FIRST',
  HUMAN_ONLY = 'HUMAN_ONLY',
}
registerEnumType(ReceptionMode, {
  name: 'ReceptionMode',
  description: 'Who receives a new conversation of the channel',
  valuesConfig: {
    BOT_FIRST: { description: 'The bot answers first 机器人优先 and hands over to a human when asked or when it cannot answer' },
    HUMAN_FIRST: { description: 'A human agent first; the bot only when no agent can be reached' },
    HUMAN_ONLY: { description: 'Human agents only, never the bot' },
  },
});

export enum AssignmentRule {
  ROUND_ROBIN = 'ROUND_ROBIN',
  SEQUENTIAL = 'SEQUENTIAL',
  LEAST_LOAD = 'LEAST_LOAD',
  FILL_UP = 'FILL_UP',
}
registerEnumType(AssignmentRule, {
  name: 'AssignmentRule',
  description: "How a service group chooses the agent of a new conversation 分配规则 (module README: each rule's exact definition)",
  valuesConfig: {
    ROUND_ROBIN: { description: '轮流分配: in turn, agents ordered by the time they came online' },
    SEQUENTIAL: { description: "顺序分配: the first agent in the group's order with free capacity" },
    LEAST_LOAD: { description: '负载分配: the agent with the fewest conversations in progress now' },
    FILL_UP: { description: "补齐分配: the agent with the fewest conversations handled today (the workspace's time zone)" },
  },
});

export enum AssignedBy {
  ROUND_ROBIN = 'ROUND_ROBIN',
  SEQUENTIAL = 'SEQUENTIAL',
  LEAST_LOAD = 'LEAST_LOAD',
  FILL_UP = 'FILL_UP',
  RETURNING_CUSTOMER = 'RETURNING_CUSTOMER',
  TRANSFER = 'TRANSFER',
  INVITATION = 'INVITATION',
}
registerEnumType(AssignedBy, {
  name: 'AssignedBy',
  description: 'What put an agent on a conversation',
  valuesConfig: {
    ROUND_ROBIN: { description: "The group's round-robin rule" },
    SEQUENTIAL: { description: "The group's sequential rule" },
    LEAST_LOAD: { description: "The group's least-load rule" },
    FILL_UP: { description: "The group's fill-up rule" },
    RETURNING_CUSTOMER: { description: '回头客优先: the agent who last served this customer' },
    TRANSFER: { description: 'A transfer by an agent or manager' },
    INVITATION: { description: 'The agent invited the visitor (proactive invitation)' },
  },
});

export enum AgentStatus {
  ONLINE = 'ONLINE',
  BUSY = 'BUSY',
  AWAY = 'AWAY',
  OFFLINE = 'OFFLINE',
}
registerEnumType(AgentStatus, {
  name: 'AgentStatus',
  description: 'Whether an agent takes new conversations: only ONLINE agents are assigned; the others keep what they have',
  valuesConfig: {
    ONLINE: { description: 'At work and taking new conversations' },
    BUSY: { description: 'At work, not taking new conversations' },
    AWAY: { description: 'Away for a while, not taking new conversations' },
    OFFLINE: { description: 'Not at work' },
  },
});

export enum ConversationStatus {
  BOT = 'BOT',
  QUEUED = 'QUEUED',
  ACTIVE = 'ACTIVE',
  CLOSED = 'CLOSED',
}
registerEnumType(ConversationStatus, {
  name: 'ConversationStatus',
  description: 'BOT → QUEUED → ACTIVE → CLOSED; a closed conversation may be reopened',
  valuesConfig: {
    BOT: { description: 'The bot is answering' },
    QUEUED: { description: 'Waiting in its group\'s queue for an agent with room' },
    ACTIVE: { description: 'An agent is serving it' },
    CLOSED: { description: 'Ended' },
  },
});

export enum MessageKind {
  TEXT = 'TEXT',
  IMAGE = 'IMAGE',
  LINK = 'LINK',
  RICH_TEXT = 'RICH_TEXT',
  EMOJI = 'EMOJI',
  NOTE = 'NOTE',
}
registerEnumType(MessageKind, {
  name: 'MessageKind',
  description: 'What a message holds',
  valuesConfig: {
    TEXT: { description: 'Plain text' },
    IMAGE: { description: 'An image: content is its http(s) URL' },
    LINK: { description: 'A link: content is its http(s) URL' },
    RICH_TEXT: { description: 'HTML, sanitised to the allowed tags (no scripts, no event handlers)' },
    EMOJI: { description: 'An emoji or sticker code' },
    NOTE: { description: 'An internal note: visible to staff only, never to the visitor' },
  },
});

export enum AuthorKind {
  VISITOR = 'VISITOR',
  AGENT = 'AGENT',
  BOT = 'BOT',
  SYSTEM = 'SYSTEM',
}
registerEnumType(AuthorKind, {
  name: 'AuthorKind',
  description: 'Who wrote a message',
  valuesConfig: {
    VISITOR: { description: 'The customer, through the widget or a channel connector' },
    AGENT: { description: 'A service agent (or manager)' },
    BOT: { description: 'The bot' },
    SYSTEM: { description: 'An automatic reply or notice (greeting, queue position, reminder)' },
  },
});
