/**
 * The names people read for the ids of the contact center: queues, scripts and wrap-up codes by the
 * application's labels when the server sends them (GET /api/app `queues`, `scripts`), else by the
 * page texts (`queue.<id>`, `script.<id>`), else the id; agent states by the page texts.
 */
import { t, hasText } from './i18n.js';
import type { AppResponse } from './types.js';

function fromApp(list: AppResponse['queues'] | undefined, id: string): string | undefined {
  const label = list?.find((x) => x.id === id)?.label;
  return label !== undefined && label !== '' ? label : undefined;
}

/** A queue's label (a queue the server did not list, e.g. one removed since, by the page text or its id). */
export function queueLabel(app: AppResponse | undefined, id: string): string {
  return fromApp(app?.queues, id) ?? (hasText(`queue.${id}`) ? t(`queue.${id}`) : id);
}

/** A dialogue script's label. */
export function scriptLabel(app: AppResponse | undefined, id: string): string {
  return fromApp(app?.scripts, id) ?? (hasText(`script.${id}`) ? t(`script.${id}`) : id);
}

/** An agent state's label (`ready`, `wrap-up`, …). */
export function stateLabel(state: string): string {
  return hasText(`state.${state}`) ? t(`state.${state}`) : state;
}
