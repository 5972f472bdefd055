#!/usr/bin/env node
// Runs the legacy customer wrapper as its own process that registers with a running service
// manager: `CARUSO_ACCESS_TOKEN=… legacy-customer-wrapper ws://127.0.0.1:7070 ./legacy.db`.
// The token comes from the environment, never from the command line or a file.
import { connectServiceManager, createLogger } from '@caruso/kernel';
import { CustomerDirectory } from './customer-directory.js';
import { LegacyCustomerDirectory } from './legacy-customer-directory.js';

const [url, file] = process.argv.slice(2);
const accessToken = process.env['CARUSO_ACCESS_TOKEN'];
if (!url || !file || !accessToken) {
  process.stderr.write('usage: CARUSO_ACCESS_TOKEN=… legacy-customer-wrapper <ws://manager> <legacy.db>\n');
  process.exit(2);
}
const logger = createLogger({ name: 'legacy-customer-wrapper' });
const directory = new LegacyCustomerDirectory(file);
directory.start();
const manager = await connectServiceManager(url, { accessToken, name: 'legacy-customer-wrapper', logger });
const registration = await manager.register(CustomerDirectory, {
  version: '1.0.0',
  properties: { vendor: 'legacy', source: 'database', writable: true },
  implementation: directory,
});
process.stdout.write(`registered ${registration.id} with ${url}\n`);
const shutdown = async (): Promise<void> => {
  await manager.close();
  directory.stop();
  process.exit(0);
};
// A shutdown that fails still ends the process (with a non-zero code), never an unhandled rejection.
const stopOn = (): void => {
  shutdown().catch((err: unknown) => {
    logger.error({ err }, 'the wrapper could not shut down cleanly');
    process.exit(1);
  });
};
process.once('SIGINT', stopOn);
process.once('SIGTERM', stopOn);
manager.onDidClose(() => {
  logger.warn('connection to the service manager lost; exiting so the supervisor restarts the wrapper');
  directory.stop();
  process.exit(1);
});
