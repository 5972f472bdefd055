/**
 * The shapes of the agent desktop's API (docs/desktop-api.md), shared by the server (which produces
 * them) and the desktop page (which imports them with `import type`). Plain types, no Node imports.
 */

/** A business-object record a contact is linked to; `label` is the record's display text when the role may read it. */
export interface DeskCustomer {
  readonly object: string;
  readonly id: string;
  readonly label: string | null;
}

/** What the pages get of a dialogue session (as `POST /api/scripts/sessions` answers). */
export interface DeskSessionView {
  readonly sessionId: string;
  readonly revision: number;
  readonly status: string;
  readonly script: string;
  /** The current question or information; null once the script has ended. */
  readonly step: unknown;
}

/** The records found for a contact's address by the application's screen pop. */
export interface DeskScreenPop {
  readonly object: string;
  /** The record page to open. */
  readonly record: string | null;
  /** Up to 5 records, cut to the fields the role sees. */
  readonly matches: readonly Readonly<Record<string, unknown>>[];
  /** What a new record would start with (the address in the screen pop's field). */
  readonly prefill: Readonly<Record<string, unknown>>;
  readonly canCreate: boolean;
}

/** The party of an attended transfer. */
export type DeskConsultParty = { readonly agentId: string } | { readonly number: string };

/** A contact connected to the agent, with everything the desktop shows of it. */
export interface DeskContact {
  readonly id: string;
  readonly channel: 'call' | 'email' | 'chat' | 'callback';
  readonly direction: 'inbound' | 'outbound';
  readonly queueId: string;
  readonly state: string;
  readonly enteredAt: number;
  readonly address: string | null;
  readonly data: Readonly<Record<string, unknown>>;
  /** The customer the contact is linked to (its wrap-up goes there). */
  readonly customer: DeskCustomer | null;
  readonly held: boolean;
  readonly muted: boolean;
  /** Agents conferenced in besides this agent. */
  readonly conferees: readonly string[];
  readonly consult: { readonly party: DeskConsultParty; readonly answered: boolean } | null;
  /** This contact's script session (started with `POST /api/scripts/sessions` and `contactId`). */
  readonly script: { readonly sessionId: string; readonly view: DeskSessionView } | null;
  readonly screenPop: DeskScreenPop | null;
  /** A self-service visitor's chat: what they entered before asking for an agent. */
  readonly handoff: { readonly selfService: string; readonly answers: Readonly<Record<string, unknown>> } | null;
}

/** A contact ringing for the agent. */
export interface DeskOffer {
  readonly offerId: string;
  readonly contactId: string;
  readonly channel: string;
  readonly queueId: string;
  readonly ringTimeoutMs: number;
  readonly address: string | null;
  readonly customer: DeskCustomer | null;
}

/** What the agent typed for a wrap-up and has not filed yet (kept on the server). */
export interface DeskWrapUpDraft {
  readonly code?: string;
  readonly notes?: string;
}

/** A contact the agent ended and has not given a disposition for. */
export interface DeskWrapUp {
  readonly contactId: string;
  readonly channel: string;
  readonly queueId: string;
  readonly startedAt: number;
  readonly address: string | null;
  readonly customer: DeskCustomer | null;
  readonly draft: DeskWrapUpDraft | null;
}

export interface DeskCode {
  readonly code: string;
  readonly label: string;
}

/** An agent as the communication server shows it. */
export interface DeskAgent {
  readonly id: string;
  readonly state: 'logged-out' | 'ready' | 'reserved' | 'busy' | 'wrap-up' | 'paused';
  readonly pauseReason?: string;
  readonly contactIds: readonly string[];
  readonly queueIds: readonly string[];
  readonly noAnswerCount: number;
}

/** `GET /api/desktop`: everything the desktop shows, so a reload or a second tab shows the same. */
export interface DesktopState {
  /** The server's clock (ms since the epoch). */
  readonly at: number;
  readonly agent: DeskAgent;
  readonly offers: readonly DeskOffer[];
  readonly queues: { readonly selected: readonly { readonly queue: string; readonly level: number }[]; readonly allowed: readonly string[] };
  readonly pauseReasons: readonly DeskCode[];
  readonly wrapUpCodes: readonly DeskCode[];
  readonly channels: { readonly chat: boolean; readonly email: boolean };
  readonly contacts: readonly DeskContact[];
  readonly wrapUps: readonly DeskWrapUp[];
  readonly templates: { readonly cannedReplies: readonly { readonly id: string; readonly label: string }[]; readonly emailTemplates: readonly { readonly id: string; readonly label: string }[] };
  readonly presence: { readonly heartbeatMs: number; readonly disconnectGraceMs: number };
}

/** `GET /api/contacts/:id/templates`: the application's templates rendered for one contact. */
export interface DeskTemplates {
  readonly cannedReplies: readonly { readonly id: string; readonly label: string; readonly text: string }[];
  readonly emailTemplates: readonly { readonly id: string; readonly label: string; readonly subject: string; readonly body: string }[];
}

/** The answer of every call-control route: the contact as it is now (null once it left the agent). */
export interface DeskContactAnswer {
  readonly contact: DeskContact | null;
}

/** `GET /api/agent/transfer-targets`: other agents (ready first) and the queues. */
export interface DeskTransferTargets {
  readonly agents: readonly { readonly id: string; readonly state: string }[];
  readonly queues: readonly string[];
}

/** Frames the server pushes on `/ws/agent` (besides hello, offer, withdrawn and state). */
export type AgentSocketFrame =
  | { readonly type: 'pong'; readonly at: number }
  /** Something in DesktopState changed: read `GET /api/desktop` again (debounced on the page). */
  | { readonly type: 'desktop-changed' };
