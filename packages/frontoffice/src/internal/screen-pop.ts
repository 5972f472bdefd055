/**
 * The screen pop of a contact (the records its address or its collected variables find, as a role
 * sees them) and the display text of a linked customer record. Shared by `GET /api/contacts/:id`,
 * `GET /api/desktop` and the automatic customer link when a contact connects.
 */
import type { ContactSnapshot } from '@caruso/comms';
import { isCarusoError } from '@caruso/kernel';
import type { BusinessObjects, ObjectRecord, RecordKey } from '@caruso/objects';
import type { Application, RoleName, ScreenPop } from '../common/application.js';
import type { DeskCustomer, DeskScreenPop } from '../common/desktop-types.js';
import { contactAddress } from '../api-callbacks.js';
import { Permissions, type ObjectRights } from '../permissions.js';

export interface ScreenPopDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
}

/** What a contact brings to find its customer: its address and the variables scripts collected for it. */
export interface ContactClues {
  readonly address: string | undefined;
  /** The contact's variables (an IVR's, a self-service visitor's answers): see `contactVariables`. */
  readonly vars: Readonly<Record<string, unknown>>;
}

/** One look-up a screen pop makes for a contact: the field compared and the value it must hold. */
interface Probe {
  readonly pop: ScreenPop;
  readonly value: string | number;
}

/** A collected value as the field holds it (a number for numeric fields), or undefined when it cannot find anything. */
function fieldValue(deps: ScreenPopDeps, pop: ScreenPop, raw: unknown): string | number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '' || text.length > 200) return undefined;
  const type = deps.permissions.model.objects.find((o) => o.name === pop.object)?.fields.find((f) => f.name === pop.field)?.type;
  if (type === 'integer' || type === 'id' || type === 'decimal') {
    const n = Number(text);
    return Number.isFinite(n) ? n : undefined;
  }
  return text;
}

/**
 * The screen pops that apply to a contact, in the order the application declares them, each with the
 * value it looks for: by e-mail for an address with @, by phone for any other address, by field when
 * the contact carries a value of the pop's variable.
 */
function probesFor(deps: ScreenPopDeps, clues: ContactClues, usable: (pop: ScreenPop) => boolean): Probe[] {
  const out: Probe[] = [];
  for (const pop of deps.app.desktop.screenPops) {
    if (!usable(pop)) continue;
    if (pop.by === 'field') {
      const value = pop.var === undefined ? undefined : fieldValue(deps, pop, clues.vars[pop.var]);
      if (value !== undefined) out.push({ pop, value });
    } else if (clues.address !== undefined && (pop.by === 'email') === clues.address.includes('@')) {
      out.push({ pop, value: clues.address });
    }
  }
  return out;
}

/**
 * The records of `pop.object` whose field holds `value` (at most `limit`). A collected value the
 * field cannot hold (a date field and the text a visitor typed) finds nothing rather than failing
 * the desk: the objects service refuses such a filter with CARUSO_OBJECTS_BAD_QUERY.
 */
async function find(deps: ScreenPopDeps, pop: ScreenPop, value: string | number, limit: number): Promise<ObjectRecord[]> {
  try {
    return await deps.objects.repository(pop.object).query({ where: { [pop.field]: value }, limit });
  } catch (err) {
    if (pop.by === 'field' && isCarusoError(err) && err.code === 'CARUSO_OBJECTS_BAD_QUERY') return [];
    throw err;
  }
}

/** The clues of a contact from its own data (an IVR's variables are on it); `vars` adds a hand-off's answers. */
export function cluesOf(contact: ContactSnapshot, vars: Readonly<Record<string, unknown>> = contact.data): ContactClues {
  return { address: contactAddress(contact), vars };
}

/**
 * The screen pop of a contact for a role: up to 5 records found by the first screen pop (of those the
 * role may read, in the order declared) that finds any; when none finds one, the first that applies
 * (its new-record form prefilled with the value). Undefined when no screen pop applies.
 */
export async function screenPopOf(deps: ScreenPopDeps, role: RoleName, contact: ContactSnapshot, clues: ContactClues = cluesOf(contact)): Promise<DeskScreenPop | undefined> {
  let first: DeskScreenPop | undefined;
  for (const { pop, value } of probesFor(deps, clues, (p) => deps.permissions.on(role, p.object)?.actions.has('read') === true)) {
    const rights = deps.permissions.on(role, pop.object) as ObjectRights;
    const found = await find(deps, pop, value, 5);
    const shown: DeskScreenPop = {
      object: pop.object,
      record: pop.record ?? null,
      matches: found.map((r) => Permissions.project(rights, r)),
      prefill: { [pop.field]: value },
      canCreate: rights.actions.has('create'),
    };
    if (found.length > 0) return shown;
    first ??= shown;
  }
  return first;
}

/**
 * The one record the application's screen pops find for a contact, whoever looks (the server links
 * it by itself): the first screen pop (in the order declared) that finds any record decides;
 * undefined when it finds more than one, or none finds any.
 */
export async function soleMatch(deps: ScreenPopDeps, contact: ContactSnapshot, clues: ContactClues = cluesOf(contact)): Promise<{ object: string; id: string } | undefined> {
  for (const { pop, value } of probesFor(deps, clues, () => true)) {
    const object = deps.permissions.model.objects.find((o) => o.name === pop.object);
    const key = object?.key[0];
    if (!object || !key || object.key.length !== 1) continue;
    const found = await find(deps, pop, value, 2);
    if (found.length === 0) continue;
    const only = found.length === 1 ? found[0]?.[key] : undefined;
    return only === undefined || only === null ? undefined : { object: pop.object, id: String(only) };
  }
  return undefined;
}

/** A record key as the object's repository takes it (a number for `id` and `integer` keys). */
export function recordKey(rights: Pick<ObjectRights, 'object'>, id: string): RecordKey | undefined {
  const keyField = rights.object.fields.find((f) => f.name === rights.object.key[0]);
  if (keyField && (keyField.type === 'id' || keyField.type === 'integer')) {
    const n = Number(id);
    return /^-?\d{1,15}$/.test(id) && Number.isSafeInteger(n) ? n : undefined;
  }
  return id;
}

/** The linked record as the role sees it, or undefined (no right to read it, or no such record). */
export async function readCustomer(deps: ScreenPopDeps, role: RoleName, ref: { object: string; id: string }): Promise<ObjectRecord | undefined> {
  const rights = deps.permissions.on(role, ref.object);
  if (!rights?.actions.has('read')) return undefined;
  const key = recordKey(rights, ref.id);
  if (key === undefined) return undefined;
  const r = await deps.objects.repository(ref.object).get(key);
  return r ? Permissions.project(rights, r) : undefined;
}

/**
 * The display text of a record: the first two text fields of the first section of its record page
 * that the role sees (e.g. first and last name), else the first two visible text fields.
 */
export function displayText(deps: ScreenPopDeps, role: RoleName, object: string, record: ObjectRecord): string | null {
  const rights = deps.permissions.on(role, object);
  if (!rights) return null;
  const page = deps.app.records.find((r) => r.object === object);
  const textual = (name: string): boolean => {
    const f = rights.object.fields.find((x) => x.name === name);
    return f !== undefined && rights.visible.has(name) && ['string', 'text', 'email', 'phone', 'enum'].includes(f.type) && typeof record[name] === 'string' && record[name] !== '';
  };
  const fromPage = (page?.sections[0]?.fields ?? []).filter(textual).slice(0, 2);
  const fields = fromPage.length ? fromPage : rights.object.fields.map((f) => f.name).filter(textual).slice(0, 2);
  const text = fields.map((f) => String(record[f])).join(' ').trim();
  return text === '' ? null : text.slice(0, 200);
}

/** A linked customer as the desktop shows it: with its display text when the role may read the record. */
export async function deskCustomer(deps: ScreenPopDeps, role: RoleName, ref: { object: string; id: string } | undefined): Promise<DeskCustomer | null> {
  if (!ref) return null;
  let label: string | null = null;
  try {
    const r = await readCustomer(deps, role, ref);
    label = r ? displayText(deps, role, ref.object, r) : null;
  } catch {
    // A record that cannot be read now (an object gone from the model) still shows as linked.
    label = null;
  }
  return { object: ref.object, id: ref.id, label };
}
