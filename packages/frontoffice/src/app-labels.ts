/**
 * The names people read for the queues of the communication server and the dialogue scripts, as
 * GET /api/app sends them: the pages show these instead of ids (wallboard, reports, records, desktop).
 */
import type { Logger } from '@caruso/kernel';
import type { CommunicationServer } from '@caruso/comms';
import type { DialogueEngine } from '@caruso/dialogue';
import { i18nBundle } from './api-admin.js';
import type { IdLabel } from './common/api-types.js';

/** Where the labels come from. */
export interface AppLabelSources {
  readonly lang: string;
  readonly comms: () => Pick<CommunicationServer, 'queues'>;
  readonly dialogue: () => Pick<DialogueEngine, 'scripts'>;
  readonly logger: Logger;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * Every queue in configuration order: its configured label (QueueConfig.label, carried by the live
 * status of the queue), else the page text `queue.<id>` of the language, else the id. Empty while
 * the communication server is not there.
 */
export function queueLabels(src: AppLabelSources): IdLabel[] {
  let queues: readonly { readonly queueId: string }[];
  try {
    queues = src.comms().queues();
  } catch (err) {
    src.logger.debug({ err: (err as Error).message }, 'queue labels: no communication server');
    return [];
  }
  const texts = i18nBundle(src.lang) ?? i18nBundle('en') ?? {};
  return queues.map((q) => ({
    id: q.queueId,
    // QueueConfig.label reaches the status of a queue only where the server copies it there.
    label: nonEmpty((q as { label?: unknown }).label) ?? nonEmpty(texts[`queue.${q.queueId}`]) ?? q.queueId,
  }));
}

/** Every dialogue script: its `<meta><title>`, else its id. Empty while the engine is not there. */
export function scriptLabels(src: AppLabelSources): IdLabel[] {
  try {
    return src.dialogue().scripts().map((s) => ({ id: s.id, label: nonEmpty(s.title) ?? s.id }));
  } catch (err) {
    src.logger.debug({ err: (err as Error).message }, 'script labels: no dialogue engine');
    return [];
  }
}
