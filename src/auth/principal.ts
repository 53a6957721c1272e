import type { Role } from './roles';

/** Who is calling: a signed-in user or a partner's API key, always inside one workspace. */
export interface Principal {
  kind: 'USER' | 'API_KEY';
  workspaceId: string;
  /** The user, or for an API key the user who created it (audit entries name both). */
  userId: string;
  sessionId?: string;
  apiKeyId?: string;
  role: Role;
  /** For users the role's permissions; for keys the scopes the creator still holds. */
  permissions: ReadonlySet<string>;
}
