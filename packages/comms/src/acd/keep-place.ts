import { randomUUID } from 'node:crypto';
import type { ContactSpec, SkillRequirement } from '../contract/model.js';
import { validateContactSpec } from '../internal/validate.js';

/** The waiting call a keep-place callback replaces: what the callback takes over from it. */
export interface KeepPlaceOrigin {
  readonly id: string;
  readonly queueId: string;
  readonly priority: number;
  readonly enteredAt: number;
  readonly requiredSkills?: readonly SkillRequirement[];
  readonly data?: Readonly<Record<string, unknown>>;
}

/** The longest contact id (see validate.ts). */
const MAX_ID = 128;

/**
 * The callback that takes a waiting call's place, made by the router when the caller asks for one
 * (`requestCallback`) and by the communication server when a restart finds the call's line gone:
 * the same queue, priority, age and skills, the call's data with the number to dial and the call's
 * id (`originalContactId`), plus `extra` data.
 *
 * Its id is `<call>-cb`; `<call>-cb2`, `-cb3`… while `taken` says an id is in use, and `cb-<uuid>`
 * when that would be longer than an id may be. The result is validated, so a caller can make it
 * before writing anything: throws CARUSO_COMMS_INVALID_CONTACT.
 */
export function keepPlaceCallback(origin: KeepPlaceOrigin, number: string, taken: (id: string) => boolean, extra: Readonly<Record<string, unknown>> = {}): ContactSpec {
  let id = `${origin.id}-cb`;
  for (let n = 2; taken(id); n++) id = `${origin.id}-cb${n}`;
  if (id.length > MAX_ID) id = `cb-${randomUUID()}`;
  return validateContactSpec({
    id,
    channel: 'callback',
    direction: 'outbound',
    queueId: origin.queueId,
    priority: origin.priority,
    enteredAt: origin.enteredAt,
    ...(origin.requiredSkills?.length ? { requiredSkills: origin.requiredSkills } : {}),
    data: { ...origin.data, callbackNumber: number, originalContactId: origin.id, ...extra },
  });
}
