import { Migration } from '@mikro-orm/migrations';

export class Migration20261130140132_ConversationHandlingIndex extends Migration {

  // A group's latest closed conversations, read by the queue's wait estimate (modules/conversations/loaders/conversation.ts).
  override async up(): Promise<void> {
    this.addSql(`create index "conversation_workspace_id_group_id_closed_at_index" on "conversation" ("workspace_id", "group_id", "closed_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "conversation_workspace_id_group_id_closed_at_index";`);
  }

}
