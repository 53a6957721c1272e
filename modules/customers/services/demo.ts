import type { RequestContext } from '../../../src/context';
import { WORKSPACE, workspaceSql } from '../../../src/db/workspace-sql';
import { Customer, CustomerExternalId, ConsentRecord } from '../entities/customer';
import {
  AssetsBand, BehaviorType, BusinessStatus, CustomerKind, FollowUpMethod, Gender, MembershipLevel, OrderStatus, PersonalityType, TagGroup, TagKind,
} from '../entities/enums';
import { FollowUp } from '../entities/follow-up';
import { Order, OrderItem } from '../entities/order';
import { CustomerTag, Tag } from '../entities/tag';
import { fromCents } from '../../../src/graphql/scalars';
import { addDays } from '../../../src/kernel/clock';
import { issueCustomerNumbers } from './numbers';
import { searchTextOf } from './profile';
import { refreshLastOrderAt } from './stats';

const SURNAMES = ['张', '王', '李', '赵', '陈', '刘', '杨', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const GIVEN = ['小明', '丽娜', '伟', '芳', '静怡', '磊', '婷婷', '子涵', '浩然', '雪', '欣怡', '建国', '梓萱', '宇航', '佳琪', '思远', '晓燕', '俊杰'];
const PLACES: [string, string][] = [['浙江', '杭州'], ['广东', '深圳'], ['上海', '上海'], ['北京', '北京'], ['江苏', '南京'], ['四川', '成都'], ['湖北', '武汉'], ['福建', '厦门']];
const SHOPS = ['鹿鸣母婴专营店', '西湖茶舍', '蓉城户外用品', '鹭岛小铺', '江城数码'];
const PRODUCTS = [
  { sku: 'MY-001', title: '婴儿纸尿裤 L 码 60 片', category: '母婴', brand: '好奇', price: 12900 },
  { sku: 'MY-002', title: '婴儿奶瓶 240ml', category: '母婴', brand: '贝亲', price: 8900 },
  { sku: 'HW-010', title: '防水冲锋衣', category: '户外', brand: '凯乐石', price: 59900 },
  { sku: 'HW-011', title: '碳素登山杖', category: '户外', brand: '黑钻', price: 29900 },
  { sku: 'CY-100', title: '明前龙井 250g', category: '茶叶', brand: '西湖牌', price: 36800 },
  { sku: 'SM-200', title: '降噪耳机', category: '数码', brand: '华为', price: 99900 },
  { sku: 'FZ-300', title: '纯棉T恤', category: '服饰', brand: '优衣库', price: 9900 },
];
const TAGS: { name: string; group: TagGroup; kind: TagKind; color: string }[] = [
  { name: '女性', group: TagGroup.DEMOGRAPHIC, kind: TagKind.FACT, color: '#EB2F96' },
  { name: '宝妈', group: TagGroup.DEMOGRAPHIC, kind: TagKind.MANUAL, color: '#F759AB' },
  { name: '高价值', group: TagGroup.CONSUMPTION, kind: TagKind.MODEL, color: '#FA541C' },
  { name: '沉睡客户', group: TagGroup.CONSUMPTION, kind: TagKind.MODEL, color: '#8C8C8C' },
  { name: '户外爱好者', group: TagGroup.PREFERENCE, kind: TagKind.MODEL, color: '#52C41A' },
  { name: '价格敏感', group: TagGroup.PREFERENCE, kind: TagKind.MANUAL, color: '#FAAD14' },
  { name: '易投诉', group: TagGroup.PERSONALITY, kind: TagKind.MANUAL, color: '#F5222D' },
];

/** A small deterministic generator, so that every demo start shows the same shop. */
function seeded(seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  return { next, pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)], int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)) };
}

/** About 50 customers of both kinds with tags, a year of orders, consents and a few follow-ups. */
export async function seedCustomersDemo(ctx: RequestContext): Promise<void> {
  const random = seeded(20250101);
  const day = 86_400_000;
  const authorUserId = await firstUserId(ctx);
  await ctx.transaction(async (tx) => {
    const em = tx.em;
    const tags = TAGS.map((t) => em.create(Tag, { ...t, description: `演示标签：${t.name}` }));
    const numbers = await issueCustomerNumbers(tx, 50);
    const customers: Customer[] = [];
    for (const [i, customerNo] of numbers.entries()) {
      const merchant = i % 10 === 9;
      const [province, city] = random.pick(PLACES);
      const name = merchant ? `${random.pick(SURNAMES)}老板` : `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}`;
      const birthday = merchant ? undefined : `${random.int(1970, 2003)}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`;
      const externalId = `tb_demo_${String(i + 1).padStart(3, '0')}`;
      const customer = em.create(Customer, {
        customerNo, kind: merchant ? CustomerKind.MERCHANT : CustomerKind.INDIVIDUAL, name,
        nickname: merchant ? undefined : `${name.slice(1)}酱`,
        phone: `139${String(10_000_000 + i * 7919).slice(0, 8)}`, email: i % 3 === 0 ? `demo${i + 1}@example.com` : undefined,
        province, city, birthday, birthdayMonthDay: birthday?.slice(5), gender: merchant ? undefined : random.pick([Gender.FEMALE, Gender.MALE, Gender.FEMALE]),
        personalityType: i % 4 === 0 ? random.pick(Object.values(PersonalityType)) : undefined,
        behaviorType: i % 6 === 0 ? random.pick(Object.values(BehaviorType)) : undefined,
        shopName: merchant ? SHOPS[(i / 10) | 0] : undefined, location: merchant ? `${province}${city}` : undefined,
        contactPhone: merchant ? `0571-8${String(1_000_000 + i).slice(1)}` : undefined, foundedOn: merchant ? `${random.int(2005, 2020)}-03-15` : undefined,
        assetsBand: merchant ? random.pick(Object.values(AssetsBand)) : undefined, businessStatus: merchant ? BusinessStatus.OPERATING : undefined,
        membershipLevel: merchant ? random.pick(Object.values(MembershipLevel)) : undefined,
        searchText: '',
      });
      customer.searchText = searchTextOf(customer, [externalId]);
      em.create(CustomerExternalId, { customer, platform: 'taobao', externalId });
      em.create(ConsentRecord, { customer, policyVersion: '2024-06', marketingConsent: i % 2 === 0, channel: random.pick(['app', 'wechat', 'web']), consentedAt: new Date(Date.now() - random.int(200, 400) * day) });
      for (const tag of tags) if (random.next() < 0.2) em.create(CustomerTag, { customer, tag });
      for (let n = random.int(0, 6); n > 0; n--) {
        const placedAt = new Date(Date.now() - random.int(1, 365) * day);
        const lines = Array.from({ length: random.int(1, 3) }, () => ({ product: random.pick(PRODUCTS), quantity: random.int(1, 3) }));
        const status = random.next() < 0.08 ? OrderStatus.REFUNDED : OrderStatus.COMPLETED;
        const externalOrderId = `DEMO${customerNo.slice(1)}${n}`;
        const order = em.create(Order, {
          customer, orderNo: externalOrderId, platform: 'taobao', externalId: externalOrderId, status, currency: 'CNY', placedAt,
          paidAt: new Date(placedAt.getTime() + 600_000), shippedAt: new Date(placedAt.getTime() + day), deliveredAt: new Date(placedAt.getTime() + 3 * day),
          totalAmount: fromCents(BigInt(lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0))),
        });
        for (const { product, quantity } of lines) {
          em.create(OrderItem, { order, sku: product.sku, title: product.title, category: product.category, brand: product.brand, quantity, unitPrice: fromCents(BigInt(product.price)) });
        }
      }
      customers.push(customer);
    }
    const today = (await tx.context().clock()).today();
    for (const [i, customer] of customers.slice(0, 6).entries()) {
      em.create(FollowUp, {
        customer, authorUserId, method: [FollowUpMethod.PHONE, FollowUpMethod.WECHAT, FollowUpMethod.SMS][i % 3],
        content: ['回访新品使用体验', '告知会员日活动', '确认退货退款进度'][i % 3], outcome: '客户满意', happenedAt: new Date(Date.now() - (i + 1) * day),
        nextFollowUpOn: addDays(today, i + 1), pending: true,
      });
    }
    await em.flush();
    await refreshLastOrderAt(tx, customers.map((c) => c.id));
  });
}

/** Demo follow-ups need an author; the demo context has no principal, so the workspace's first user writes them. */
async function firstUserId(ctx: RequestContext): Promise<string> {
  const [row] = await workspaceSql(ctx)<{ id: string }>`select id from "user" where workspace_id = ${WORKSPACE} order by created_at limit 1`;
  return row.id;
}
