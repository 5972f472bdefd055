import { defineErrors } from './error-catalogue.js';

/** Every error the kernel raises. Each code is documented in docs/errors.md. */
export const KernelErrors = defineErrors({
  // registry
  CARUSO_KERNEL_SERVICE_NOT_FOUND: {
    message: 'no active service matches {token} (range {range}, filter {filter}); registered: {registered}',
    status: 404,
  },
  CARUSO_KERNEL_SERVICE_UNAVAILABLE: {
    message: 'the service behind {token} is no longer available ({reason}); look it up again or wait for a replacement',
    status: 503,
  },
  CARUSO_KERNEL_INVALID_VERSION: { message: '{token}: version {version} is not a valid semver version (e.g. 1.2.0)' },
  CARUSO_KERNEL_INVALID_RANGE: { message: '{token}: {range} is not a valid semver range (e.g. ^1.2.0)' },
  CARUSO_KERNEL_INVALID_FILTER: { message: 'invalid service filter {filter} at position {position}: {reason}' },
  CARUSO_KERNEL_INVALID_DEFINITION: { message: '{token}: invalid service definition: {reason}' },
  CARUSO_KERNEL_DUPLICATE_SERVICE: {
    message: '{token} version {version} with these properties is already registered (as {id}); bump the version to replace it',
    status: 409,
  },
  CARUSO_KERNEL_DEPENDENCY_CYCLE: { message: 'registering {token} would create a dependency cycle: {cycle}' },
  // lifecycle
  CARUSO_KERNEL_START_FAILED: { message: '{token}@{version} failed to start: {reason}', kind: 'bug' },
  CARUSO_KERNEL_START_TIMEOUT: {
    message: '{token}@{version} did not become active within {timeoutMs} ms; {diagnostic}',
    status: 504,
  },
  CARUSO_KERNEL_UNHEALTHY: { message: '{token}@{version} reported {status} after start: {detail}', status: 503 },
  CARUSO_KERNEL_NOT_A_PROXY: { message: 'pin() takes a proxy returned by get(); got {got}' },
  CARUSO_KERNEL_MANAGER_STOPPED: { message: 'the service manager is stopped', status: 503, kind: 'cancel' },
  CARUSO_KERNEL_WAIT_TIMEOUT: {
    message: 'no active service matched {token} (range {range}, filter {filter}) within {timeoutMs} ms',
    status: 504,
  },
  // remote access
  CARUSO_KERNEL_RPC_PARSE_ERROR: { message: 'the message is not valid JSON: {reason}' },
  CARUSO_KERNEL_RPC_INVALID_REQUEST: { message: 'not a valid JSON-RPC 2.0 request: {reason}' },
  CARUSO_KERNEL_RPC_METHOD_NOT_FOUND: { message: 'unknown remote method {method}', status: 404 },
  CARUSO_KERNEL_RPC_INVALID_PARAMS: { message: 'invalid parameters for {method}: {reason}' },
  CARUSO_KERNEL_RPC_MESSAGE_TOO_LARGE: { message: 'message of {size} bytes exceeds the limit of {limit} bytes', status: 413 },
  CARUSO_KERNEL_RPC_DEADLINE_EXCEEDED: { message: 'call {method} on {token} exceeded its deadline of {deadlineMs} ms', status: 504 },
  CARUSO_KERNEL_RPC_CONNECTION_LOST: {
    message: 'connection to {peer} lost while calling {method}; the call may or may not have run',
    status: 503,
  },
  CARUSO_KERNEL_RPC_REMOTE_ERROR: { message: 'the remote service failed: {reason}', status: 502 },
  CARUSO_KERNEL_AUTH_REQUIRED: { message: 'authenticate first: send auth with your access token', status: 401 },
  CARUSO_KERNEL_AUTH_FAILED: { message: 'authentication failed: unknown access token', status: 401 },
  CARUSO_KERNEL_PERMISSION_DENIED: { message: '{principal} may not {action} {token}', status: 403 },
  CARUSO_KERNEL_LIFECYCLE_DENIED: {
    message: '{principal} may not call {method} of {token} remotely: it is a lifecycle method; only a grant whose lifecycle list names "{token}.{method}" may call it',
    status: 403,
  },
  CARUSO_KERNEL_LEASE_EXPIRED: { message: 'the lease of {id} expired; register again', status: 410 },
});

/** The union of kernel error codes. */
export type KernelErrorCode = (typeof KernelErrors.codes)[number];
