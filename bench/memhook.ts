/**
 * Preloaded into a tsdis child by the memory and leak benchmarks
 * (`node --expose-gc --import dist-test/bench/memhook.js dist/cli.js ...`).
 * On an IPC request it runs a full GC (twice, so weak references and
 * finalizers settle) and answers with process.memoryUsage(). It adds no
 * command and no code to src/: the server under test is the plain cli.js.
 */
const g = globalThis as { gc?: () => void };

if (typeof process.send === 'function') {
  process.on('message', (m: unknown) => {
    const msg = m as { type?: string; id?: number };
    if (msg?.type !== 'tsdis-bench-mem') return;
    if (g.gc) {
      g.gc();
      g.gc();
    }
    process.send!({ type: 'tsdis-bench-mem', id: msg.id, gc: !!g.gc, usage: process.memoryUsage() });
  });
  // the IPC channel must not keep the server alive on its own
  process.channel?.unref();
}
