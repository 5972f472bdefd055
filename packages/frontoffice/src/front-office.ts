/** The front office's contract and token. */
import { createToken } from '@caruso/kernel';
import type { Application } from './common/application.js';
import type { User } from './user-store.js';

/** The running front office, as other components and tools see it. */
export interface FrontOffice {
  /** `http://host:port` of the server. */
  readonly url: string;
  /** The application definition served. */
  readonly application: Application;
  /** Adds a user (for set-up tools; the API has POST /api/users for administrators). */
  addUser(user: User, password: string): Promise<User>;
}

export const FrontOffice = createToken<FrontOffice>('caruso.frontoffice');
