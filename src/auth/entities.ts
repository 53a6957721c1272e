import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { BaseEntity, WorkspaceScopedEntity } from '../db/base-entity';
import { Node } from '../graphql/node';
import { DEFAULT_TIME_ZONE } from '../kernel/clock';
import { Role } from './roles';
import { DateTimeScalar } from '../graphql/scalars';

/** One shop or brand. Every domain row belongs to exactly one workspace. */
@ObjectType({ implements: Node, description: 'A shop or brand: the tenant every record belongs to' })
@Entity()
export class Workspace extends BaseEntity<'timeZone' | 'version'> {
  @Field({ description: 'Display name, e.g. 小鹿优选旗舰店' })
  @Property()
  name!: string;

  @Field({
    description: 'IANA time zone (e.g. Asia/Shanghai, the default) in which the workspace reckons dates: what "today" is for '
      + 'due follow-ups, birthdays and every other date rule',
  })
  @Property({ default: DEFAULT_TIME_ZONE })
  timeZone: string = DEFAULT_TIME_ZONE;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back when updating' })
  @Property({ version: true })
  version!: number;
}

@ObjectType({ implements: Node, description: 'A person who signs in to the workspace' })
@Entity()
@Unique({ properties: ['workspace', 'email'] })
export class User extends WorkspaceScopedEntity<'active' | 'version'> {
  /** The whole Workspace (User.workspace answers it), where the base class knows only its id. */
  declare workspace: Workspace;

  /** Unique across workspaces as well, because `login` takes only an email and a password: see LoginEmail. */
  @Field({ description: 'Login email, stored lower-case' })
  @Property()
  email!: string;

  @Field({ description: 'Name shown to colleagues and customers' })
  @Property()
  displayName!: string;

  @Field(() => Role, { description: 'What the user does; decides the permissions' })
  @Enum({ items: () => Role, nativeEnumName: 'user_role' })
  role!: Role;

  @Property({ hidden: true })
  passwordHash!: string;

  @Field({ description: 'Deactivated users cannot sign in and their sessions and API keys stop working' })
  @Property()
  active: boolean = true;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back when updating' })
  @Property({ version: true })
  version!: number;
}

/**
 * Which workspace and user an email signs in to. `login` takes only an email, so an email has one account in the
 * whole deployment: this global table's primary key says so, which a unique index on the workspace-scoped `user`
 * table cannot (under Citus such an index must include workspace_id). Written with the user, in its transaction;
 * emails never change. No foreign key to the user: a global table cannot reference a distributed one under Citus.
 */
@Entity()
export class LoginEmail {
  /** Lower-case. */
  @PrimaryKey()
  email!: string;

  @ManyToOne({ entity: 'Workspace', deleteRule: 'cascade', mapToPk: true })
  workspace!: string;

  @Property({ type: 'uuid' })
  userId!: string;
}

/**
 * A login. The token is shown once; only its keyed hash is stored, so a database leak yields no usable tokens.
 * Tokens are random (256 bits), so their hashes are unique; the index is unique per workspace only, as a
 * workspace table's must be, and the token is looked up across workspaces (authenticate.ts).
 */
@Entity()
@Unique({ properties: ['workspace', 'tokenHash'] })
@Index({ properties: ['tokenHash'] })
export class Session extends WorkspaceScopedEntity {
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  @Property({ length: 64 })
  tokenHash!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date;
}

/**
 * A one-time password reset issued by an OWNER or MANAGER (there is no email to send a link by): the token is shown
 * once to the one who reset, who hands it to the user; only its keyed hash is stored, like a session token's.
 */
@Entity()
@Unique({ properties: ['workspace', 'tokenHash'] })
@Index({ properties: ['tokenHash'] })
export class PasswordReset extends WorkspaceScopedEntity {
  @ManyToOne(() => User, { deleteRule: 'cascade' })
  user!: User;

  /** Random like a session token, looked up the same way. */
  @Property({ length: 64 })
  tokenHash!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  /** Set when redeemed, or when a newer reset for the same user replaced it. */
  @Property({ type: 'timestamptz', nullable: true })
  usedAt?: Date;
}

/** A partner's credential: scopes, optional expiry, revocable. */
@ObjectType({ implements: Node, description: 'A credential for a partner system (order system, channel connector, marketing tool)' })
@Entity()
@Index({ properties: ['workspace', 'createdAt'] })
// The prefix finds the key's row; it is 32 random bits, unique in a workspace but not across all of them, so a
// lookup may find a few rows and keeps the one whose secret matches (authenticate.ts).
@Unique({ properties: ['workspace', 'prefix'] })
@Index({ properties: ['prefix'] })
export class ApiKey extends WorkspaceScopedEntity {
  @Field({ description: 'What the key is for, e.g. "订单系统同步"' })
  @Property()
  name!: string;

  @Field(() => [String], { description: 'Permissions the key carries, e.g. customers:read' })
  @Property({ type: 'text[]' })
  scopes!: string[];

  @Field({ description: 'The public start of the secret (sk_xxxxxxxx), to recognize a key without its secret' })
  @Property({ length: 16 })
  prefix!: string;

  @Property({ length: 64, hidden: true })
  secretHash!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  createdBy!: User;

  @Field(() => DateTimeScalar, { nullable: true, description: 'After this time the key is refused' })
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the key was revoked; revoked keys are refused' })
  @Property({ type: 'timestamptz', nullable: true })
  revokedAt?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Last request made with the key (to the minute)' })
  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt?: Date;
}

/**
 * A failed login (or one being checked), kept briefly to slow down password guessing. Keyed by hashes of the email
 * and of the client's address (the table must not become a list of addresses people tried), shared by every
 * instance because it lives in the database. Counted per (email, client) and per client: see login().
 */
@Entity()
@Index({ properties: ['clientHash', 'createdAt'] })
export class LoginFailure extends BaseEntity {
  @Property({ length: 64 })
  emailHash!: string;

  /** HMAC of the client's IP address under APP_SECRET: a plain hash of an IPv4 address is reversed by trying them all. */
  @Property({ length: 64 })
  clientHash!: string;
}
