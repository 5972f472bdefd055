/**
 * The desktop API's answers as the agent desktop reads them (docs/desktop-api.md). Plain types: the
 * server's route schemas are the truth; these follow them field by field.
 */
import type { ScriptSession } from '../shared/types.js';

/** A customer record a contact is linked to; `label` is the record's display text when readable. */
export interface DeskCustomer {
  readonly object: string;
  readonly id: string;
  readonly label: string | null;
}

export type DeskChannel = 'call' | 'email' | 'chat' | 'callback';

/** Whom a consultation (attended transfer) rings. */
export type ConsultParty = { readonly agentId: string } | { readonly number: string };

export interface ScreenPop {
  readonly object: string;
  readonly record: string | null;
  readonly matches: readonly Readonly<Record<string, unknown>>[];
  readonly prefill: Readonly<Record<string, unknown>>;
  readonly canCreate: boolean;
}

/** A contact connected to the agent, with everything the desktop shows of it. */
export interface DeskContact {
  readonly id: string;
  readonly channel: DeskChannel;
  readonly direction: 'inbound' | 'outbound';
  readonly queueId: string;
  readonly state: string;
  readonly enteredAt: number;
  readonly address: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  readonly customer: DeskCustomer | null;
  readonly held: boolean;
  readonly muted: boolean;
  readonly conferees: readonly string[];
  readonly consult: { readonly party: ConsultParty; readonly answered: boolean } | null;
  readonly script: { readonly sessionId: string; readonly view: ScriptSession } | null;
  readonly screenPop: ScreenPop | null;
  readonly handoff: { readonly selfService: string; readonly answers: Readonly<Record<string, unknown>> } | null;
}

export interface DeskOffer {
  readonly offerId: string;
  readonly contactId: string;
  readonly channel: string;
  readonly queueId: string;
  readonly ringTimeoutMs: number;
  readonly address: string | null;
  readonly customer: DeskCustomer | null;
}

export interface WrapUpDraft {
  readonly code?: string;
  readonly notes?: string;
}

/** A contact that ended and waits for its disposition. */
export interface DeskWrapUp {
  readonly contactId: string;
  readonly channel: string;
  readonly queueId: string;
  readonly startedAt: number;
  readonly address: string | null;
  readonly customer: DeskCustomer | null;
  readonly draft: WrapUpDraft | null;
}

export interface AgentSnapshot {
  readonly id: string;
  readonly state: string;
  readonly pauseReason?: string;
  readonly contactIds: readonly string[];
  readonly queueIds: readonly string[];
}

export interface CodeLabel {
  readonly code: string;
  readonly label: string;
}

export interface AgentQueues {
  readonly selected: readonly { readonly queue: string; readonly level?: number }[];
  readonly allowed: readonly string[];
}

/** `GET /api/desktop`: everything the desktop shows. */
export interface DesktopState {
  readonly at: number;
  readonly agent: AgentSnapshot;
  readonly offers: readonly DeskOffer[];
  readonly queues: AgentQueues;
  readonly pauseReasons: readonly CodeLabel[];
  readonly wrapUpCodes: readonly CodeLabel[];
  readonly channels: { readonly chat: boolean; readonly email: boolean };
  readonly contacts: readonly DeskContact[];
  readonly wrapUps: readonly DeskWrapUp[];
  readonly templates: { readonly cannedReplies: readonly { readonly id: string; readonly label: string }[]; readonly emailTemplates: readonly { readonly id: string; readonly label: string }[] };
  readonly presence: { readonly heartbeatMs: number; readonly disconnectGraceMs: number };
}

/** `GET /api/contacts/:id/templates`, rendered for the contact and its customer. */
export interface ContactTemplates {
  readonly cannedReplies: readonly { readonly id: string; readonly label: string; readonly text: string }[];
  readonly emailTemplates: readonly { readonly id: string; readonly label: string; readonly subject: string; readonly body: string }[];
}

/** `GET /api/agent/transfer-targets`. */
export interface TransferTargets {
  readonly agents: readonly { readonly id: string; readonly state: string }[];
  readonly queues: readonly string[];
}

/** `GET /api/contacts/:id` (the screen pop of an offer). */
export interface ContactAnswer {
  readonly contact: { readonly id: string; readonly channel: string; readonly queueId: string; readonly state: string; readonly address?: string; readonly data: Readonly<Record<string, unknown>> };
  readonly screenPop?: ScreenPop;
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
