/**
 * @caruso/kernel: the service manager and the primitives every component is built from.
 */
export {
  isCarusoError,
  defineErrors,
  CarusoError,
  type ErrorKind,
  type ErrorSpec,
  type ErrorOptions,
  type ErrorFactory,
  type ErrorCatalogue,
} from './error-catalogue.js';
export { KernelErrors, type KernelErrorCode } from './errors.js';
export { once, NoneEvent, Emitter, type Event, type EmitterOptions } from './event.js';
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
export {
  setDisposableTracker,
  trackDisposable,
  markAsDisposed,
  isDisposable,
  toDisposable,
  DisposableStore,
  Disposable,
  type IDisposable,
  type DisposableTracker,
} from './lifecycle.js';
export {
  bindServices,
  serviceIdentifier,
  type ServiceBinding,
  type ServiceBindingTarget,
} from './inversify-bridge.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export {
  ServiceManager,
  type PropertyValue,
  type ServiceProperties,
  type ServiceFilter,
  type LookupOptions,
  type ServiceState,
  type DependencySpec,
  type ServiceSet,
  type ResolvedDependencies,
  type ServiceDefinition,
  type ServiceMetrics,
  type ServiceInfo,
  type RegistryEvent,
  type TrackerEvent,
  type ServiceTracker,
  type ServiceHandle,
  type ServiceLookup,
} from './service-manager.js';
export {
  LIFECYCLE_METHODS,
  type HealthState,
  type HealthStatus,
  type StopReason,
  type ServiceContext,
  type ServiceLifecycle,
} from './service.js';
export { createToken, isValidTokenId, type Token } from './token.js';
export {
  walkExpression,
  referencedExpressionNames,
  type BinaryOperator,
  type ExpressionNode,
  type ExpressionValue,
  type ParsedExpression,
} from './expression/ast.js';
export { checkExpression, compileExpression, type ExpressionResolver } from './expression/checker.js';
export { evaluateExpression, type ExpressionContext } from './expression/evaluator.js';
export { ExpressionError, type ExpressionErrorKind } from './expression/expression-error.js';
export {
  EXPRESSION_FUNCTIONS,
  expressionFunction,
  type ExpressionFunction,
  type FunctionContext,
} from './expression/functions.js';
export { parseExpression, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from './expression/parser.js';
export {
  compileExpressionPattern,
  describeExpressionValue,
  expressionEquals,
  formatExpressionValue,
  isExpressionTruthy,
  MAX_PATTERN_LENGTH,
} from './expression/values.js';
export { createServiceManager, type ServiceManagerOptions } from './internal/service-registry.js';
export { AccessList, type AccessGrant, type AccessAction } from './remote/access-list.js';
export {
  RemoteServiceManager,
  connectServiceManager,
  type Remote,
  type RemoteConnectOptions,
  type RemoteRegistration,
  type RemoteServiceDefinition,
} from './remote/client.js';
export {
  RemoteEndpoint,
  methodNames,
  type RemoteEndpointOptions,
  type RemoteServiceDescription,
} from './remote/endpoint.js';
export {
  parseXml,
  childElements,
  textContent,
  attributePosition,
  XmlDiagnostic,
  DiagnosticSink,
  MAX_DIAGNOSTICS,
  type SourcePosition,
  type XmlElement,
  type XmlText,
  type XmlNode,
  type DiagnosticSeverity,
  type XmlParseResult,
  type XmlParseOptions,
} from './xml/xml-document.js';
export { MAX_XML_DEPTH } from './xml/xml-guard.js';
export { didYouMean } from './xml/did-you-mean.js';
