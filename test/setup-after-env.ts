// Shared by every test file. Tests run with logging silenced unless CARUSO_LOG_LEVEL says otherwise.
// CARUSO_REQUIRE_ALL=1 (set by .ci/run) turns a test that would skip for a missing dependency into a
// failure: see `requireOrSkip` in @caruso/kernel/testing.
process.env['CARUSO_LOG_LEVEL'] ??= 'silent';

// A test file must not leave a server, a socket, a child process or a UDP port behind: they are
// counted before the file's first test and again after its last, with a short grace period for
// sockets that are closing.
const WATCHED = new Set(['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap', 'ProcessWrap', 'TTYWrap']);
function openHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.has(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}
function leaked(before: Map<string, number>): string[] {
  const now = openHandles();
  return [...now].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k, n]) => `${n - (before.get(k) ?? 0)} × ${k}`);
}
let baseline = new Map<string, number>();
beforeAll(() => {
  baseline = openHandles();
});
afterAll(async () => {
  const deadline = Date.now() + 3000;
  let left = leaked(baseline);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = leaked(baseline);
  }
  if (left.length) throw new Error(`this test file left open handles behind: ${left.join(', ')} (close servers, sockets and child processes in afterAll)`);
});
