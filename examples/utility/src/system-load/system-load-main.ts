// The whole-system load's own process (forked with an IPC channel by the benchmark and the smoke
// test): `{type:'start', options}` → prepares (phones, desks, supervisor) → `{type:'ready'}`;
// `{type:'go'}` → runs and drains → `{type:'report', report}` and exits. A failure is sent as
// `{type:'failed', message}` and ends the process with code 1.
import { SystemLoad, type SystemLoadOptions } from './system-load.js';

type ParentMessage = { readonly type: 'start'; readonly options: SystemLoadOptions } | { readonly type: 'go' };

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

if (!process.send) {
  process.stderr.write('system-load-main runs as a child process with an IPC channel (see examples/utility/benchmarks/system.bench.ts)\n');
  process.exit(2);
}

let load: SystemLoad | undefined;
process.on('message', (m: ParentMessage) => {
  const step = async (): Promise<void> => {
    if (m.type === 'start') {
      load = new SystemLoad(m.options);
      await load.prepare();
      await send({ type: 'ready' });
    } else if (m.type === 'go' && load) {
      await load.run();
      const report = await load.close();
      await send({ type: 'report', report });
      process.exit(0);
    }
  };
  step().catch(async (err: unknown) => {
    await send({ type: 'failed', message: (err as Error).stack ?? String(err) });
    await load?.close().catch(() => undefined);
    process.exit(1);
  });
});
// The parent went away: nothing more to report to.
process.on('disconnect', () => process.exit(3));
