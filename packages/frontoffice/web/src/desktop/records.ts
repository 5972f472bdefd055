/** The application's objects and record views as the desktop uses them. */
import type { AppResponse, ObjectRecord, RoleObject } from '../shared/types.js';
import { namedBy } from '../records/related-records.js';

export function objectDef(app: AppResponse, name: string): RoleObject | undefined {
  return app.objects.find((o) => o.name === name);
}

/** The fields a record of `object` shows: its record view's sections, else all visible fields. */
export function recordFields(app: AppResponse, object: string): string[] {
  const def = objectDef(app, object);
  if (!def) return [];
  const view = app.records.find((r) => r.object === object);
  const names = view ? view.sections.flatMap((s) => s.fields) : def.fields.map((f) => f.name);
  return names.filter((n) => def.fields.some((f) => f.name === n && f.type !== 'id'));
}

/** The record's key as the API takes it in a path. */
export function keyOf(app: AppResponse, object: string, rec: ObjectRecord): string {
  const def = objectDef(app, object);
  return String(rec[def?.key[0] ?? 'id'] ?? '');
}

/** The record's name as the desktop shows it: the first two fields of its record view. */
export function displayName(app: AppResponse, object: string, rec: ObjectRecord): string {
  // The model's name fields when it has them (initials and last name, or a company's name) …
  const def = objectDef(app, object);
  const named = def ? namedBy(def, rec) : '';
  if (named) return named;
  // … else the first two fields of its record page.
  const view = app.records.find((r) => r.object === object);
  const names = view ? view.sections.flatMap((s) => s.fields) : (objectDef(app, object)?.fields.map((f) => f.name) ?? []);
  return names.slice(0, 2).map((n) => (rec[n] === null || rec[n] === undefined ? '' : String(rec[n]))).join(' ');
}

/** The object the desktop's customer search looks in: the screen pop's, else the first record view's. */
export function customerObject(app: AppResponse): string | undefined {
  return app.desktop.screenPops[0]?.object ?? app.records[0]?.object ?? app.objects[0]?.name;
}

/** Whether a text looks like a telephone number that can be dialled. */
export function isPhoneNumber(v: unknown): v is string {
  return typeof v === 'string' && /^\+?[0-9 ()-]{3,32}$/.test(v);
}
