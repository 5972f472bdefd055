/** An error-like object: `Error`s of any realm (jest's sandbox, node's own net errors) and driver errors. */
export interface ErrorLike {
  readonly message: string;
  readonly name?: string;
  readonly code?: unknown;
}

/** Whether `err` looks like an error. Note: `instanceof Error` fails for errors made in another realm. */
export function isErrorLike(err: unknown): err is ErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return isErrorLike(err) ? err.message : String(err);
}
