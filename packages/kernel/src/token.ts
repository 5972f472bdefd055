/**
 * A typed token names a service contract. Two tokens with the same id name the same contract, also
 * across processes (the id is what travels over the wire).
 */
export interface Token<T> {
  /** The contract's name, e.g. `billing.Invoices`. */
  readonly id: string;
  /** Phantom field that carries the type; never set at run time. */
  readonly __type?: T;
}

const TOKEN_ID = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/;

/**
 * Creates the token of a service contract.
 * @param id dotted name, e.g. `caruso.storage` or `billing.Invoices`.
 * Note: export the token from the same file as the contract's interface, under the same name.
 */
export function createToken<T>(id: string): Token<T> {
  if (!TOKEN_ID.test(id)) {
    throw new TypeError(`invalid token id '${id}': use dotted names of letters, digits, '_' and '-', e.g. 'billing.Invoices'`);
  }
  return Object.freeze({ id }) as Token<T>;
}

/** Validates a token id without creating a token (for ids that come over the wire). */
export function isValidTokenId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= 200 && TOKEN_ID.test(id);
}
