/**
 * One helper that every package uses to define its errors (Fastify's `lib/errors.js` pattern).
 * Codes look like `CARUSO_<AREA>_<PROBLEM>`; each has a message template and, where it crosses
 * HTTP, a status. Parameters are filled into `{name}` placeholders.
 */

/** Which of the three kinds an error is: the user's mistake, a cancellation, or a bug. */
export type ErrorKind = 'user' | 'cancel' | 'bug';

/** Specification of one error code. */
export interface ErrorSpec {
  /** Message template with `{param}` placeholders; say what was wrong, where, and what to do. */
  readonly message: string;
  /** HTTP status when the error crosses HTTP (default 500 for bugs, 400 for user errors). */
  readonly status?: number;
  /** Default `user`. */
  readonly kind?: ErrorKind;
}

/** Extra information attached when an error is raised. */
export interface ErrorOptions {
  /** Machine-readable details (field errors, the current record of a conflict …). Never secrets. */
  readonly details?: unknown;
  /** The foreign error this one translates. */
  readonly cause?: unknown;
}

/** The base class of every error Caruso raises on purpose. */
export class CarusoError extends Error {
  override readonly name = 'CarusoError';
  constructor(
    /** The stable code, e.g. `CARUSO_KERNEL_SERVICE_NOT_FOUND`. */
    readonly code: string,
    message: string,
    /** HTTP status. */
    readonly status: number,
    readonly kind: ErrorKind,
    /** Machine-readable details. */
    readonly details: unknown = undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The JSON body sent to HTTP and RPC clients: `{ code, message, details }`. */
  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is a CarusoError, optionally with the given code. */
export function isCarusoError(err: unknown, code?: string): err is CarusoError {
  return err instanceof CarusoError && (code === undefined || err.code === code);
}

/** A function that raises one code. */
export type ErrorFactory = (params?: Readonly<Record<string, unknown>>, options?: ErrorOptions) => CarusoError;

/** The catalogue made by {@link defineErrors}: one factory per code, plus the list of codes. */
export type ErrorCatalogue<T extends Record<string, ErrorSpec>> = { readonly [K in keyof T]: ErrorFactory } & {
  readonly codes: ReadonlyArray<keyof T & string>;
  readonly specs: Readonly<T>;
};

const CODE = /^CARUSO_[A-Z0-9]+_[A-Z0-9_]+$/;

function render(template: string, params: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in params)) return whole;
    const v = params[name];
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/**
 * Defines a package's error catalogue.
 * @example
 * export const KernelErrors = defineErrors({
 *   CARUSO_KERNEL_SERVICE_NOT_FOUND: { message: 'no service for {token}', status: 404 },
 * });
 * throw KernelErrors.CARUSO_KERNEL_SERVICE_NOT_FOUND({ token: 'billing.Invoices' });
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): ErrorCatalogue<T> {
  const out: Record<string, unknown> = {};
  for (const [code, spec] of Object.entries(specs)) {
    if (!CODE.test(code)) throw new TypeError(`error code ${code} does not look like CARUSO_<AREA>_<PROBLEM>`);
    const kind = spec.kind ?? 'user';
    const status = spec.status ?? (kind === 'bug' ? 500 : 400);
    out[code] = (params: Readonly<Record<string, unknown>> = {}, options: ErrorOptions = {}) =>
      new CarusoError(code, render(spec.message, params), status, kind, options.details, { cause: options.cause });
  }
  out['codes'] = Object.keys(specs);
  out['specs'] = specs;
  return out as ErrorCatalogue<T>;
}
