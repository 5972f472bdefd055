import { readFileSync } from 'node:fs';

/**
 * Keeps an error catalogue honest against docs/errors.md: every code of the catalogue is documented
 * under a `### CODE` heading, and every documented code of the given prefix exists.
 * Returns the list of problems (empty when all is well).
 */
export function checkErrorCatalogue(codes: readonly string[], docsPath: string, prefix: string): string[] {
  const text = readFileSync(docsPath, 'utf8');
  const documented = new Set(
    [...text.matchAll(/^###\s+`?(CARUSO_[A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1] as string).filter((c) => c.startsWith(prefix)),
  );
  const problems: string[] = [];
  for (const code of codes) if (!documented.has(code)) problems.push(`${code} is not documented in docs/errors.md`);
  for (const code of documented) if (!codes.includes(code)) problems.push(`${code} is documented but does not exist`);
  return problems;
}
