/**
 * Runs `work` one at a time: a wake-up while it runs makes it run once more afterwards, however many wake-ups came.
 * For work woken from several sources (NOTIFY, timers, events) that must neither overlap nor miss a wake-up: the
 * event log's reader, the webhook sender. `work` handles its own errors.
 *
 * With `spacingMs`, runs start at least that far apart: a wake-up sooner after the last start waits for it, and the
 * wake-ups meanwhile make that one run. For work whose cost is per run rather than per event, where a little delay
 * is fine (the webhook sender's transaction and lock per pass, woken by each event on every instance).
 */
export class CoalescingRunner {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private lastStart = 0;
  private delayed?: NodeJS.Timeout;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly spacingMs = 0,
  ) {}

  wake(): void {
    if (this.stopped || this.delayed) return; // a delayed run is still to start: it does what this one asks
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastStart + this.spacingMs - Date.now();
    if (wait > 0) {
      this.delayed = setTimeout(() => {
        this.delayed = undefined;
        this.run();
      }, wait);
    } else {
      this.run();
    }
  }

  private run(): void {
    if (this.stopped) return;
    this.lastStart = Date.now();
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
    clearTimeout(this.delayed);
    await this.running;
  }
}
