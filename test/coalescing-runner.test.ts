import { CoalescingRunner } from '../src/kernel/coalescing-runner';

/** The runner behind the event log's reader and the webhook sender (src/kernel/coalescing-runner.ts). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('runs once more after a run, however many wake-ups came during it, and never two at once', async () => {
  const starts: number[] = [];
  let running = 0;
  let overlapped = false;
  const runner = new CoalescingRunner(async () => {
    overlapped ||= running > 0;
    running++;
    starts.push(Date.now());
    await sleep(50);
    running--;
  });
  runner.wake();
  for (let i = 0; i < 10; i++) runner.wake();
  await sleep(300);
  expect(starts).toHaveLength(2);
  expect(overlapped).toBe(false);
  await runner.stop();
});

it('with spacing, starts runs at least that far apart: the wake-ups meanwhile make one run, after the spacing', async () => {
  const starts: number[] = [];
  const runner = new CoalescingRunner(async () => {
    starts.push(Date.now());
  }, 200);
  runner.wake();
  await sleep(20);
  for (let i = 0; i < 10; i++) runner.wake(); // after the first run ended, within the spacing
  await sleep(600);
  expect(starts).toHaveLength(2);
  expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(195); // timers may fire a millisecond early
  await runner.stop();
});

it('starts nothing after stop, not even a run waiting for its spacing', async () => {
  let runs = 0;
  const runner = new CoalescingRunner(async () => {
    runs++;
  }, 100);
  runner.wake();
  await sleep(10);
  runner.wake();
  await runner.stop();
  await sleep(200);
  expect(runs).toBe(1);
});
