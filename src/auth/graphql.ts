import { ArrayMaxSize, IsEmail, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MutationPayload } from '../graphql/user-errors';
import { ApiKey, User, Workspace } from './entities';
import { Role } from './roles';
import type { StaffPrincipal } from './principal';
import { DateTimeScalar } from '../graphql/scalars';

export const MIN_PASSWORD_LENGTH = 8;
const passwordRule = { message: `password must be at least ${MIN_PASSWORD_LENGTH} characters` };

/** Who a new user is: shared by signUp (the owner) and userCreate (everyone else). */
@InputType()
abstract class NewUserFields {
  @Field({ description: 'Login email, unique across the service (stored lower-case)' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @Field({ description: `At least ${MIN_PASSWORD_LENGTH} characters` })
  @MinLength(MIN_PASSWORD_LENGTH, passwordRule)
  @MaxLength(200)
  password!: string;

  @Field({ description: 'Name shown to colleagues and customers' })
  @MinLength(1, { message: 'displayName must not be empty' })
  @MaxLength(100)
  displayName!: string;
}

@InputType({ description: 'A new workspace and its owner' })
export class SignUpInput extends NewUserFields {
  @Field({ description: 'Shop or brand name' })
  @IsString()
  @MinLength(1, { message: 'workspaceName must not be empty' })
  @MaxLength(100)
  workspaceName!: string;
}

@InputType({ description: 'Email and password' })
export class LoginInput {
  @Field({ description: 'Login email (any case)' })
  @MaxLength(254)
  email!: string;

  @Field({ description: 'Password' })
  @MaxLength(200)
  password!: string;
}

@ObjectType({ description: 'Result of signUp, login and passwordResetComplete: a session token for `Authorization: Bearer <token>`' })
export class AuthPayload extends MutationPayload {
  @Field(() => String, { nullable: true, description: 'Session token, shown once; revoke it with logout' })
  token?: string | null;

  @Field(() => User, { nullable: true, description: 'The signed-in user' })
  user?: User | null;
}

@ObjectType({ description: 'Result of logout' })
export class LogoutPayload extends MutationPayload {
  @Field({ description: 'True when the calling session was revoked' })
  revoked: boolean = false;
}

@InputType({ description: 'A new user of the caller\'s workspace' })
export class UserCreateInput extends NewUserFields {
  @Field(() => Role, { description: 'Role; only an OWNER may create an OWNER' })
  role!: Role;
}

@InputType({ description: 'Changes to a user; send the version you read' })
export class UserUpdateInput {
  @Field(() => ID, { description: 'The user to change' })
  id!: string;

  @Field(() => Int, { description: 'The version you read; a newer one on the server means a conflict' })
  version!: number;

  @Field({ nullable: true, description: 'New display name' })
  @IsOptional()
  @MinLength(1, { message: 'displayName must not be empty' })
  @MaxLength(100)
  displayName?: string;

  @Field(() => Role, { nullable: true, description: 'New role; only an OWNER may make or change an OWNER' })
  @IsOptional()
  role?: Role;

  @Field({ nullable: true, description: 'False deactivates: sign-in, sessions and the user\'s API keys stop working' })
  @IsOptional()
  active?: boolean;
}

@ObjectType({ description: 'Result of userCreate and userUpdate' })
export class UserPayload extends MutationPayload {
  @Field(() => User, { nullable: true, description: 'The user as saved; null when userErrors is not empty' })
  user?: User | null;
}

@InputType({ description: 'A new API key' })
export class ApiKeyCreateInput {
  @Field({ description: 'What the key is for' })
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(100)
  name!: string;

  @Field(() => [String], { description: 'Permissions, e.g. ["customers:read"]; see `permissions` for the scopable ones' })
  @ArrayMaxSize(50)
  @Matches(/^[a-zA-Z]+:[a-zA-Z]+$/, { each: true, message: 'each scope must look like module:action' })
  scopes!: string[];

  @Field(() => DateTimeScalar, { nullable: true, description: 'Optional expiry, in the future' })
  @IsOptional()
  expiresAt?: Date;
}

@ObjectType({ description: 'Result of apiKeyCreate' })
export class ApiKeyCreatePayload extends MutationPayload {
  @Field(() => ApiKey, { nullable: true, description: 'The new key; null when userErrors is not empty' })
  apiKey?: ApiKey | null;

  @Field(() => String, { nullable: true, description: 'The secret, shown only now: store it, it cannot be read again' })
  secret?: string | null;
}

@InputType({ description: 'The key to revoke' })
export class ApiKeyRevokeInput {
  @Field(() => ID, { description: 'The key to revoke' })
  id!: string;
}

@ObjectType({ description: 'Result of apiKeyRevoke' })
export class ApiKeyRevokePayload extends MutationPayload {
  @Field(() => ApiKey, { nullable: true, description: 'The revoked key; null when userErrors is not empty' })
  apiKey?: ApiKey | null;
}

export enum ViewerKind {
  USER = 'USER',
  API_KEY = 'API_KEY',
}
registerEnumType(ViewerKind, {
  name: 'ViewerKind',
  description: 'How the caller authenticated',
  valuesConfig: {
    USER: { description: 'A session token from login or signUp' },
    API_KEY: { description: 'A partner API key' },
  },
});

@ObjectType({ description: 'The caller: a user with a session, or an API key' })
export class Viewer {
  @Field(() => ViewerKind, { description: 'Session or API key' })
  kind!: ViewerKind;

  @Field(() => [String], { description: 'Permissions in force for this caller' })
  permissions!: string[];

  /** Whom the fields `workspace`, `user` and `apiKey` (ViewerFieldsResolver) read, only when asked for. */
  principal!: StaffPrincipal;
}

@ObjectType({ description: 'A permission: what it allows, which roles hold it, whether API keys may carry it' })
export class Permission {
  @Field({ description: '`<module>:<action>`, e.g. customers:read' })
  name!: string;

  @Field({ description: 'What the permission allows' })
  description!: string;

  @Field(() => [Role], { description: 'Roles that hold it' })
  roles!: Role[];

  @Field({ description: 'May be granted to an API key as a scope' })
  scopable!: boolean;

  @Field(() => [String], { description: 'Permissions that come with this one (writing implies reading)' })
  implies!: string[];
}

@InputType({ description: "Changes to the caller's workspace; send the version you read" })
export class WorkspaceUpdateInput {
  @Field(() => Int, { description: 'The version you read; a newer one on the server means a conflict' })
  version!: number;

  @Field({ nullable: true, description: 'New display name' })
  @IsOptional()
  @MinLength(1, { message: 'name must not be empty' })
  @MaxLength(100)
  name?: string;

  @Field({
    nullable: true,
    description: 'New IANA time zone name, e.g. Asia/Shanghai, Asia/Hong_Kong, Asia/Taipei, Pacific/Auckland, America/Los_Angeles; '
      + 'dates reckoned from then on use it (stored dates are not moved)',
  })
  @IsOptional()
  @MaxLength(64)
  timeZone?: string;
}

@ObjectType({ description: 'Result of workspaceUpdate' })
export class WorkspacePayload extends MutationPayload {
  @Field(() => Workspace, { nullable: true, description: 'The workspace as saved; null when userErrors is not empty' })
  workspace?: Workspace | null;
}

@InputType({ description: 'The current password and the new one' })
export class PasswordChangeInput {
  @Field({ description: 'The password in use now' })
  @MaxLength(200)
  currentPassword!: string;

  @Field({ description: `The new password, at least ${MIN_PASSWORD_LENGTH} characters` })
  @MinLength(MIN_PASSWORD_LENGTH, passwordRule)
  @MaxLength(200)
  newPassword!: string;
}

@ObjectType({ description: 'Result of passwordChange' })
export class PasswordChangePayload extends MutationPayload {
  @Field(() => User, { nullable: true, description: 'The user; null when userErrors is not empty' })
  user?: User | null;

  @Field(() => Int, { nullable: true, description: "How many of the user's other sessions were signed out (this one stays)" })
  revokedSessionCount?: number | null;
}

@InputType({ description: 'Whose password to reset' })
export class UserPasswordResetInput {
  @Field(() => ID, { description: 'The user; not yourself (use passwordChange)' })
  userId!: string;
}

@ObjectType({ description: 'Result of userPasswordReset: a one-time token to hand to the user' })
export class UserPasswordResetPayload extends MutationPayload {
  @Field(() => User, { nullable: true, description: 'The user whose password was reset; null when userErrors is not empty' })
  user?: User | null;

  @Field(() => String, { nullable: true, description: 'One-time token, shown only now: give it to the user, who sets a new password with passwordResetComplete' })
  resetToken?: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'After this time the token is refused (PASSWORD_RESET_TTL_HOURS)' })
  expiresAt?: Date | null;
}

@InputType({ description: 'A reset token and the new password' })
export class PasswordResetCompleteInput {
  @Field({ description: 'The token from userPasswordReset (pr_…)' })
  @MaxLength(200)
  token!: string;

  @Field({ description: `The new password, at least ${MIN_PASSWORD_LENGTH} characters` })
  @MinLength(MIN_PASSWORD_LENGTH, passwordRule)
  @MaxLength(200)
  newPassword!: string;
}
