/**
 * @caruso/kernel: the service manager and the primitives every component is built from.
 */
export * from './lifecycle.js';
export * from './event.js';
export {
  containFault,
  containPromise,
  contained,
  faultCount,
  faultCounts,
  onDidContainFault,
  resetFaultCounts,
  safeInterval,
  safeTimeout,
  setFaultLogger,
  type ContainedFault,
} from './faults.js';
export * from './token.js';
export * from './error-catalogue.js';
export * from './errors.js';
export * from './logger.js';
export * from './service.js';
export * from './service-manager.js';
export * from './xml/index.js';
export { createServiceManager, type ServiceManagerOptions } from './internal/service-registry.js';
export * from './remote/index.js';
export * from './expression/index.js';
