// Shared by every test file. Tests run with logging silenced unless CARUSO_LOG_LEVEL says otherwise.
// CARUSO_REQUIRE_ALL=1 (set by .ci/run) turns a test that would skip for a missing dependency into a
// failure: see `requireOrSkip` in @caruso/kernel/testing.
process.env['CARUSO_LOG_LEVEL'] ??= 'silent';
