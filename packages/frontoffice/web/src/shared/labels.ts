/**
 * The names people read for the ids of the contact center: queues, scripts and wrap-up codes by the
 * application's labels when the server sends them (GET /api/app `queues`, `scripts`), else by the
 * page texts (`queue.<id>`, `script.<id>`), else the id; agent states by the page texts.
 */
import { t, hasText } from './i18n.js';
import type { AppResponse } from './types.js';

type Labelled = readonly { readonly id: string; readonly label?: string | null }[] | undefined;

function fromApp(list: Labelled, id: string): string | undefined {
  return list?.find((x) => x.id === id)?.label ?? undefined;
}

/** A queue's label. */
export function queueLabel(app: AppResponse | undefined, id: string): string {
  const extra = app as (AppResponse & { queues?: Labelled }) | undefined;
  return fromApp(extra?.queues, id) ?? (hasText(`queue.${id}`) ? t(`queue.${id}`) : id);
}

/** A dialogue script's label. */
export function scriptLabel(app: AppResponse | undefined, id: string): string {
  const extra = app as (AppResponse & { scripts?: Labelled }) | undefined;
  return fromApp(extra?.scripts, id) ?? (hasText(`script.${id}`) ? t(`script.${id}`) : id);
}

/** An agent state's label (`ready`, `wrap-up`, …). */
export function stateLabel(state: string): string {
  return hasText(`state.${state}`) ? t(`state.${state}`) : state;
}
