/**
 * The desktop API's answers as the agent desktop reads them (docs/desktop-api.md). The shapes of
 * GET /api/desktop and the call-control routes are the server's own (src/common/desktop-types.ts,
 * imported as types only); the rest describe answers of older routes the desktop reads.
 */
import type { DeskContact, DeskScreenPop } from '../../../src/common/desktop-types.js';

export type {
  DeskAgent,
  DeskCode,
  DeskConsultParty as ConsultParty,
  DeskContact,
  DeskContactAnswer,
  DeskCustomer,
  DeskOffer,
  DeskScreenPop as ScreenPop,
  DeskSessionView,
  DesktopState,
  DeskTemplates as ContactTemplates,
  DeskTransferTargets as TransferTargets,
  DeskWrapUp,
  DeskWrapUpDraft as WrapUpDraft,
} from '../../../src/common/desktop-types.js';

export type DeskChannel = DeskContact['channel'];

/** `GET /api/contacts/:id` (the screen pop of an offer). */
export interface ContactAnswer {
  readonly contact: { readonly id: string; readonly channel: string; readonly queueId: string; readonly state: string; readonly address?: string; readonly data: Readonly<Record<string, unknown>> };
  readonly screenPop?: DeskScreenPop;
  readonly script?: string;
  readonly handoff?: { readonly selfService: string; readonly answers: Readonly<Record<string, unknown>> };
}

export interface EmailAttachmentView {
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  readonly href: string;
}

export interface EmailMessageView {
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly at: string;
  readonly text: string;
  readonly attachments: readonly EmailAttachmentView[];
}

export interface ChatLine {
  readonly seq: number;
  readonly from: 'customer' | 'agent';
  readonly text: string;
}

export interface ChatAnswer {
  readonly chat: { readonly chatId: string; readonly state: string; readonly customerName: string | null; readonly subject: string | null; readonly agentId: string | null };
  readonly transcript: readonly ChatLine[];
}
