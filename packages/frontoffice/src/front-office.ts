/** The front office's contract and token. */
import { createToken } from '@caruso/kernel';
import type { Application, RoleName } from './common/application.js';
import type { User } from './user-store.js';

/** The running front office, as other components and tools see it. */
export interface FrontOffice {
  /** `http://host:port` of the server. */
  readonly url: string;
  /** The application definition served. */
  readonly application: Application;
  /** Adds a user (for set-up tools; the API has POST /api/users for administrators). */
  addUser(user: User, password: string): Promise<User>;
  /**
   * The OpenAPI 3.1 document of the REST API, generated from the schemas of the routes: cut to what
   * `role` may call (as `GET /api/openapi.json` serves it), or whole without a role.
   * Note: throws CARUSO_FRONTOFFICE_BAD_OPTIONS before the front office is started.
   */
  openApi(role?: RoleName): Record<string, unknown>;
}

export const FrontOffice = createToken<FrontOffice>('caruso.frontoffice');
