/**
 * True when CARUSO_REQUIRE_ALL=1: a test that would skip because a dependency (a server binary, a
 * browser, a SIP peer) is missing must fail instead. `.ci/run` sets it.
 */
export function requireAll(): boolean {
  return process.env['CARUSO_REQUIRE_ALL'] === '1';
}

/**
 * Decides whether a suite that needs `what` may run. Returns true when it is available. When it is
 * missing: throws under CARUSO_REQUIRE_ALL=1, else returns false (the caller then declares a single
 * test that states the skip reason, never a silently passing test).
 */
export function requireOrSkip(what: string, available: boolean): boolean {
  if (available) return true;
  if (requireAll()) throw new Error(`${what} is required (CARUSO_REQUIRE_ALL=1) but not available on this machine`);
  return false;
}
