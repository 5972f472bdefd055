/**
 * The screen pop of a contact (the records its address finds, as a role sees them) and the display
 * text of a linked customer record. Shared by `GET /api/contacts/:id`, `GET /api/desktop` and the
 * automatic customer link when a contact connects.
 */
import type { ContactSnapshot } from '@caruso/comms';
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

/** The first screen pop of the application that fits the address (by e-mail for an address with @, by phone otherwise). */
function popFor(app: Application, address: string | undefined, usable: (pop: ScreenPop) => boolean): ScreenPop | undefined {
  if (address === undefined) return undefined;
  const isEmail = address.includes('@');
  return app.desktop.screenPops.find((pop) => (pop.by === 'email') === isEmail && usable(pop));
}

/** The screen pop of a contact for a role: up to 5 records of the first screen pop the role may read; undefined when none applies. */
export async function screenPopOf(deps: ScreenPopDeps, role: RoleName, contact: ContactSnapshot): Promise<DeskScreenPop | undefined> {
  const address = contactAddress(contact);
  const pop = popFor(deps.app, address, (p) => deps.permissions.on(role, p.object)?.actions.has('read') === true);
  const rights = pop ? deps.permissions.on(role, pop.object) : undefined;
  if (!pop || !rights || address === undefined) return undefined;
  const found = await deps.objects.repository(pop.object).query({ where: { [pop.field]: address }, limit: 5 });
  return {
    object: pop.object,
    record: pop.record ?? null,
    matches: found.map((r) => Permissions.project(rights, r)),
    prefill: { [pop.field]: address },
    canCreate: rights.actions.has('create'),
  };
}

/**
 * The one record the application's screen pop finds for a contact's address, whoever looks (the
 * server links it by itself); undefined when it finds none or more than one.
 */
export async function soleMatch(deps: ScreenPopDeps, contact: ContactSnapshot): Promise<{ object: string; id: string } | undefined> {
  const address = contactAddress(contact);
  const pop = popFor(deps.app, address, () => true);
  if (!pop || address === undefined) return undefined;
  const object = deps.permissions.model.objects.find((o) => o.name === pop.object);
  const key = object?.key[0];
  if (!object || !key || object.key.length !== 1) return undefined;
  const found = await deps.objects.repository(pop.object).query({ where: { [pop.field]: address }, limit: 2 });
  const only = found.length === 1 ? found[0]?.[key] : undefined;
  return only === undefined || only === null ? undefined : { object: pop.object, id: String(only) };
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
