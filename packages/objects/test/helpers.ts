// Shared imports of the objects tests (keeps the test files short).
export * from '../src/index.js';
export { isCarusoError } from '@caruso/kernel';
