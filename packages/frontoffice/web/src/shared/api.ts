/**
 * The pages' one way to the REST API: JSON in and out, the session's CSRF token on every call that
 * changes something, and the house error shape turned into an ApiError. When a staff session has
 * expired (401, "log in first") the browser goes to the log-in page with `next` set to where it was,
 * and comes back there after logging in (see safeNext).
 */
import { errorText, t } from './i18n.js';

/** The house error body (`{ error: { code, message, details } }`). */
export interface ApiErrorBody {
  readonly code?: string;
  readonly message?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
    /** The browser is on its way to the log-in page: nothing needs showing. */
    readonly redirecting = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The session's CSRF token (from GET/POST /api/session or a self-service session). */
let csrfToken = '';

export function setCsrf(token: string): void {
  csrfToken = token;
}

/** Pages whose 401 answers are theirs to show: a failed log-in, a self-service visitor. */
const NO_LOGIN_REDIRECT: ReadonlySet<string> = new Set(['login', 'self-service']);

/** The log-in page, coming back to this page afterwards. */
export function loginUrl(): string {
  return `/login?next=${encodeURIComponent(`${location.pathname}${location.search}`)}`;
}

/** Set once the page is on its way to the log-in page. */
let leaving = false;

/**
 * Sends the browser to the log-in page (and back here afterwards), once: several requests answered
 * 401 together (the key pressed, the state read, the socket) would each start the same navigation
 * again and abort the one under way.
 */
export function toLogin(): void {
  if (leaving) return;
  leaving = true;
  location.assign(loginUrl());
}

/**
 * `next` of the log-in page when it is a path of this site: starts with one `/` (not `//` or `/\`,
 * which browsers read as another host) and stays on this origin. Anything else is ignored.
 */
export function safeNext(next: string | null): string | undefined {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return undefined;
  try {
    const u = new URL(next, location.origin);
    return u.origin === location.origin ? `${u.pathname}${u.search}${u.hash}` : undefined;
  } catch {
    return undefined;
  }
}

/** What the page does when the server requires a new password first (set by main.ts). */
let passwordChangeRequired: (() => void) | undefined;

/**
 * Sets what happens when an answer says the password must be changed first (403
 * CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED, after an administrator's reset): the page shows the
 * password form, and the call's error needs no showing.
 */
export function onPasswordChangeRequired(fn: () => void): void {
  passwordChangeRequired = fn;
}

/** Calls the API; resolves with the JSON answer (null for 204), rejects with an ApiError. */
export async function api<T = unknown>(method: Method, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = contentType;
  // A body of another type (text/csv) is sent as it is.
  const payload = body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : String(body);
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(payload === undefined ? {} : { body: payload }) });
  const data = (res.status === 204 ? null : await res.json().catch(() => null)) as (T & { error?: ApiErrorBody }) | null;
  if (!res.ok) {
    const err = data?.error;
    if (res.status === 401 && err?.code === 'CARUSO_FRONTOFFICE_AUTH_REQUIRED' && !NO_LOGIN_REDIRECT.has(document.body.dataset['page'] ?? '')) {
      toLogin();
      throw new ApiError(err.message ?? t('error'), 401, err, true);
    }
    if (res.status === 403 && err?.code === 'CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED' && passwordChangeRequired) {
      passwordChangeRequired();
      throw new ApiError(err.message ?? t('error'), 403, err, true);
    }
    throw new ApiError(errorText(err?.code, err?.message ?? t('error'), err?.details), res.status, err);
  }
  return data as T;
}
