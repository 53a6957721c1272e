import { registerEnumType } from 'type-graphql';

export enum CustomerKind {
  INDIVIDUAL = 'INDIVIDUAL',
  MERCHANT = 'MERCHANT',
}
registerEnumType(CustomerKind, {
  name: 'CustomerKind',
  description: 'The two kinds of customer of the domain page',
  valuesConfig: {
    INDIVIDUAL: { description: 'A person buying for themselves 个体客户' },
    MERCHANT: { description: 'A shop or business 商家客户' },
  },
});

export enum Gender {
  FEMALE = 'FEMALE',
  MALE = 'MALE',
  UNDISCLOSED = 'UNDISCLOSED',
}
registerEnumType(Gender, {
  name: 'Gender',
  description: "A customer's gender as they gave it",
  valuesConfig: {
    FEMALE: { description: 'Female 女' },
    MALE: { description: 'Male 男' },
    UNDISCLOSED: { description: 'Not given, or prefers not to say' },
  },
});

export enum PersonalityType {
  FRIENDLY = 'FRIENDLY',
  DOMINANT = 'DOMINANT',
  ANALYTICAL = 'ANALYTICAL',
  SELF_CENTERED = 'SELF_CENTERED',
}
registerEnumType(PersonalityType, {
  name: 'PersonalityType',
  description: 'Personality classification of the courseware (按性格特征分类), each with a handling strategy',
  valuesConfig: {
    FRIENDLY: { description: 'Friendly 友善型: easy-going, understanding, often loyal' },
    DOMINANT: { description: 'Dominant 独断型: very self-assured, demands recognition, complains most' },
    ANALYTICAL: { description: 'Analytical 分析型: sensitive and logical, accepts fair handling and reasoned explanations' },
    SELF_CENTERED: { description: 'Self-centered 自我型: puts their own interest first, expects special treatment' },
  },
});

export enum BehaviorType {
  DEMANDING = 'DEMANDING',
  CONFUSED = 'CONFUSED',
  AGITATED = 'AGITATED',
}
registerEnumType(BehaviorType, {
  name: 'BehaviorType',
  description: 'Classification by how the customer behaves in contact (按客户表现分类)',
  valuesConfig: {
    DEMANDING: { description: 'Demanding 要求型: insists on specific outcomes' },
    CONFUSED: { description: 'Confused 困惑型: unsure what they need or how things work' },
    AGITATED: { description: 'Agitated 激动型: upset and emotional' },
  },
});

export enum AssetsBand {
  UNDER_1M = 'UNDER_1M',
  FROM_1M_TO_10M = 'FROM_1M_TO_10M',
  FROM_10M_TO_100M = 'FROM_10M_TO_100M',
  OVER_100M = 'OVER_100M',
}
registerEnumType(AssetsBand, {
  name: 'AssetsBand',
  description: "A merchant's assets, in bands of CNY",
  valuesConfig: {
    UNDER_1M: { description: 'Under 1 million CNY' },
    FROM_1M_TO_10M: { description: '1 to 10 million CNY' },
    FROM_10M_TO_100M: { description: '10 to 100 million CNY' },
    OVER_100M: { description: 'Over 100 million CNY' },
  },
});

export enum BusinessStatus {
  OPERATING = 'OPERATING',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}
registerEnumType(BusinessStatus, {
  name: 'BusinessStatus',
  description: "A merchant's business status",
  valuesConfig: {
    OPERATING: { description: 'Trading normally 正常经营' },
    SUSPENDED: { description: 'Temporarily not trading 暂停营业' },
    CLOSED: { description: 'Closed down 已关闭' },
  },
});

export enum MembershipLevel {
  REGULAR = 'REGULAR',
  SILVER = 'SILVER',
  GOLD = 'GOLD',
  DIAMOND = 'DIAMOND',
}
registerEnumType(MembershipLevel, {
  name: 'MembershipLevel',
  description: "A merchant's membership level with the shop",
  valuesConfig: {
    REGULAR: { description: 'Ordinary member 普通会员' },
    SILVER: { description: 'Silver 银卡会员' },
    GOLD: { description: 'Gold 金卡会员' },
    DIAMOND: { description: 'Diamond 钻石会员' },
  },
});

export enum TagGroup {
  DEMOGRAPHIC = 'DEMOGRAPHIC',
  CONSUMPTION = 'CONSUMPTION',
  PREFERENCE = 'PREFERENCE',
  PERSONALITY = 'PERSONALITY',
}
registerEnumType(TagGroup, {
  name: 'TagGroup',
  description: 'The attribute group a tag describes in the customer portrait (客户画像)',
  valuesConfig: {
    DEMOGRAPHIC: { description: 'Demographic attributes 人口属性' },
    CONSUMPTION: { description: 'Consumption behavior 消费特征' },
    PREFERENCE: { description: 'Preferences and interests 兴趣偏好' },
    PERSONALITY: { description: 'Psychology and personality 心理/性格' },
  },
});

export enum TagKind {
  FACT = 'FACT',
  MODEL = 'MODEL',
  MANUAL = 'MANUAL',
}
registerEnumType(TagKind, {
  name: 'TagKind',
  description: 'Where a tag comes from',
  valuesConfig: {
    FACT: { description: 'Fact tag 事实标签: read directly from data' },
    MODEL: { description: 'Model tag 模型标签: computed by an analysis' },
    MANUAL: { description: 'Advanced tag set by a person 人工标签' },
  },
});

export enum OrderStatus {
  PLACED = 'PLACED',
  PAID = 'PAID',
  SHIPPED = 'SHIPPED',
  DELIVERED = 'DELIVERED',
  COMPLETED = 'COMPLETED',
  CANCELED = 'CANCELED',
  REFUNDED = 'REFUNDED',
}
registerEnumType(OrderStatus, {
  name: 'OrderStatus',
  description: "An order's state; CANCELED and REFUNDED orders do not count in purchase statistics",
  valuesConfig: {
    PLACED: { description: 'Placed, not yet paid 已下单' },
    PAID: { description: 'Paid 已付款' },
    SHIPPED: { description: 'Shipped 已发货' },
    DELIVERED: { description: 'Delivered 已签收' },
    COMPLETED: { description: 'Completed 已完成' },
    CANCELED: { description: 'Canceled 已取消' },
    REFUNDED: { description: 'Refunded 已退款' },
  },
});

/** Orders in these states are left out of the statistics: the customer did not end up buying. */
export const NON_PURCHASE_STATUSES = [OrderStatus.CANCELED, OrderStatus.REFUNDED];

export enum FollowUpMethod {
  PHONE = 'PHONE',
  SMS = 'SMS',
  VISIT = 'VISIT',
  WECHAT = 'WECHAT',
  EMAIL = 'EMAIL',
}
registerEnumType(FollowUpMethod, {
  name: 'FollowUpMethod',
  description: 'How a follow-up (跟进/回访) was made',
  valuesConfig: {
    PHONE: { description: 'Phone call 电话' },
    SMS: { description: 'Text message 短信' },
    VISIT: { description: 'Visit in person 上门拜访' },
    WECHAT: { description: 'WeChat 微信' },
    EMAIL: { description: 'Email 邮件' },
  },
});
