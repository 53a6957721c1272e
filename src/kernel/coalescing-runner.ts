/**
 * Runs `work` one at a time: a wake-up while it runs makes it run once more afterwards, however many wake-ups came.
 * For work woken from several sources (NOTIFY, timers, events) that must neither overlap nor miss a wake-up: the
 * event log's reader, the webhook sender. `work` handles its own errors.
 */
export class CoalescingRunner {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly work: () => Promise<void>) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** No run starts after this; resolves when the current one has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
