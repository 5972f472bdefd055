export { AccessList, type AccessGrant, type AccessAction } from './access-list.js';
export { RemoteEndpoint, methodNames, type RemoteEndpointOptions, type RemoteServiceDescription } from './endpoint.js';
export { RemoteServiceManager, connectServiceManager, type Remote, type RemoteConnectOptions, type RemoteRegistration, type RemoteServiceDefinition } from './client.js';
