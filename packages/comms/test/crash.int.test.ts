import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { CommunicationServer, commsService } from '@caruso/comms';

const here = dirname(fileURLToPath(import.meta.url));

describe('crash and restart (a real child process killed with SIGKILL mid-traffic)', () => {
  it('every acknowledged contact is back in its queue after the restart, in its order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-crash-'));
    const url = `sqlite:${join(dir, 'crm.db')}`;
    try {
      const child = spawn(process.execPath, [join(here, 'fixtures', 'crash-child.mjs'), url], { stdio: ['ignore', 'pipe', 'pipe'] });
      const acked: string[] = [];
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const killed = new Promise<void>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child made no progress: ${stderr.slice(0, 500)}`));
        }, 15_000);
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
          if (acked.length >= 300 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(`child exited by itself: ${stderr.slice(0, 500)}`));
        });
      });
      await killed;
      expect(acked.length).toBeGreaterThanOrEqual(300);

      const services = createServiceManager();
      services.register(StorageManager, storageService(url));
      services.register(CommunicationServer, commsService({ queues: [{ id: 'support' }] }));
      await services.start();
      const waiting = services.get(CommunicationServer).waiting('support').map((c) => c.id);
      // Nothing acknowledged is lost (a contact written but not yet acknowledged may be there too).
      expect(acked.filter((id) => !waiting.includes(id))).toEqual([]);
      // In their order: priority first, then the order they entered.
      const rank = (id: string) => Number(id.slice(5));
      const expected = [...waiting].sort((a, b) => (rank(b) % 3) - (rank(a) % 3) || rank(a) - rank(b));
      expect(waiting).toEqual(expected);
      await services.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
