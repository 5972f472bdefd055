/**
 * The names people read for the ids of the contact center: queues, scripts and wrap-up codes by the
 * application's labels when the server sends them (GET /api/app `queues`, `scripts`), else by the
 * page texts (`queue.<id>`, `script.<id>`), else the id; agent states, channels and the server's pause reasons by the page texts.
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

/** A channel's label (`call`, `chat`, `email`, `callback`). */
export function channelLabel(channel: string): string {
  return hasText(`channel.${channel}`) ? t(`channel.${channel}`) : channel;
}

/**
 * Why an agent is paused: the application's pause reason by its label, the server's own reasons
 * (`disconnected`, `no-answer`) by the page texts (`pause.<reason>`), else the code.
 */
export function pauseLabel(reasons: readonly { readonly code: string; readonly label: string }[] | undefined, reason: string): string {
  return reasons?.find((r) => r.code === reason)?.label ?? (hasText(`pause.${reason}`) ? t(`pause.${reason}`) : reason);
}
