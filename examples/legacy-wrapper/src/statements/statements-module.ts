import { Container, ContainerModule } from 'inversify';
import { bindServices, type ServiceLookup } from '@caruso/kernel';
import { CustomerDirectory } from '../customer-directory.js';
import { AmountFormat } from './amount-format.js';
import { LegacyAccountStatements } from './legacy-account-statements.js';
import { LegacyDatabaseFile, LegacyPaymentLedger } from './legacy-payment-ledger.js';

/**
 * The static wiring of the statements service: its own classes, its configuration, and the services
 * of other components it uses (through the service manager, so they follow hot replacement).
 * @param services the service manager (or a remote one's lookup).
 * @param file path of the legacy database.
 */
export function statementsModule(services: Pick<ServiceLookup, 'get'>, file: string): ContainerModule {
  return new ContainerModule((options) => {
    bindServices(options, services, [CustomerDirectory]);
    options.bind(LegacyDatabaseFile).toConstantValue(file);
    options.bind(AmountFormat).toSelf().inSingletonScope();
    options.bind(LegacyPaymentLedger).toSelf().inSingletonScope();
    options.bind(LegacyAccountStatements).toSelf().inSingletonScope();
  });
}

/** Builds the statements service's object from a fresh container (one per registration). */
export function createAccountStatements(services: Pick<ServiceLookup, 'get'>, file: string): LegacyAccountStatements {
  const container = new Container();
  container.load(statementsModule(services, file));
  return container.get(LegacyAccountStatements);
}
