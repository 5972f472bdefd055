/**
 * Starts a promise nobody waits for (a click, a key, a timer): its failure is shown to the agent
 * (`fail`: the page's error box and live region), never lost.
 */
import { fail } from '../shared/dom.js';

export function run(p: Promise<unknown>): void {
  p.catch(fail);
}
