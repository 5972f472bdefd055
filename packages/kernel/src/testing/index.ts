/**
 * @caruso/kernel/testing: helpers that tests of every package share.
 */
export { checkErrorCatalogue } from './error-catalogue-check.js';
export { requireOrSkip, requireAll } from './require.js';
export { defineBenchmark, median, quantile, nsPerOp, compareNsPerOp, type BenchFigure, type BenchmarkSuite } from './bench.js';
export { ensureNoDisposablesLeaked } from './leak-check.js';
