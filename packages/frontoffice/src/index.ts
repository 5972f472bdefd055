/**
 * @caruso/frontoffice: the generated front office. An application definition (dtd/application.dtd)
 * over a business-object model becomes a REST API, an agent desktop, a supervisor wallboard,
 * self-service pages and list and record pages, with users, roles and sessions.
 */
export * from './errors.js';
export * from './common/application.js';
export { readApplication, readApplicationFile, loadApplicationFile, requireApplication, type ApplicationContext, type ApplicationReadResult } from './application-reader.js';
export { scaffoldApplication } from './application-scaffold.js';
export { Permissions, type ObjectRights } from './permissions.js';
export { FrontOfficeStore, FRONTOFFICE_MIGRATIONS, MIN_PASSWORD_LENGTH, type User } from './user-store.js';
export { createFrontOfficeServer, type FrontOfficeServer, type FrontOfficeServerOptions } from './server.js';
export { openApiDocument } from './openapi.js';
export * from './front-office.js';
export { frontOfficeService, FRONTOFFICE_SERVICE_VERSION, type FrontOfficeServiceOptions } from './frontoffice-service.js';
