/**
 * Preloaded (`node -r`) into a server process by test/async-hooks.test.ts: prints "PROMISE HOOKS ON" once the
 * process tracks promises with async hooks, with the stack of the first AsyncLocalStorage entered. Without promise
 * hooks, a promise callback runs with executionAsyncId() 0; with them, every promise has an id of its own.
 */
const { AsyncLocalStorage, executionAsyncId } = require('node:async_hooks');

let firstEntered = '(no AsyncLocalStorage entered: another async hook)';
for (const method of ['run', 'enterWith']) {
  const original = AsyncLocalStorage.prototype[method];
  AsyncLocalStorage.prototype[method] = function (...args) {
    if (firstEntered.startsWith('(')) firstEntered = `AsyncLocalStorage.${method}${new Error().stack.split('\n').slice(2, 8).join('\n')}`;
    AsyncLocalStorage.prototype[method] = original;
    return original.apply(this, args);
  };
}

const timer = setInterval(() => {
  Promise.resolve().then(() => {
    if (executionAsyncId() === 0) return;
    process.stderr.write(`PROMISE HOOKS ON, first entered: ${firstEntered}\n`);
    clearInterval(timer);
  });
}, 20);
timer.unref();
