/**
 * The desktop's one source of truth: `GET /api/desktop`, read at start and again whenever the server
 * says something changed (`desktop-changed` on /ws/agent) or the agent did something. Everything the
 * page shows of a contact (its customer, script, call state, wrap-up draft) comes from that answer;
 * what is only the page's (which contact is on screen, what each contact's record panel shows, the
 * text being typed) is kept per contact here and in sessionStorage, so a reload shows the same.
 */
import { api, ApiError, type Method } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import type { AppResponse, SessionUser } from '../shared/types.js';
import type { DeskContact, DeskCustomer, DeskWrapUp, DesktopState } from './desktop-types.js';
import { keyOf } from './records.js';

/** What the record panel of one contact shows. */
export type PanelMode = 'customer' | 'search' | 'create' | 'record';

/** The page's own state of one contact: never shared with another contact. */
export interface ContactUi {
  panel: PanelMode;
  /** The record open in the panel (mode `record`): any record the agent opened from the search. */
  shown: { object: string; id: string } | null;
  search: string;
  /** The wrap-up being typed (saved to the server as a draft, shown again after a reload). */
  code: string | undefined;
  notes: string | undefined;
  /** Bumped when the record changed on the server (a script wrote to it): the panel reads it again. */
  recordRev: number;
  /** The chat message or e-mail reply being typed (kept when the agent looks at another contact). */
  message: string;
  reply: string;
}

/** One item of the agent's desk: a connected contact, or one in wrap-up. */
export type DeskItem = { readonly kind: 'contact'; readonly id: string; readonly contact: DeskContact } | { readonly kind: 'wrap-up'; readonly id: string; readonly wrapUp: DeskWrapUp };

const UI_KEY = 'caruso.desktop.ui';
const SELECTED_KEY = 'caruso.desktop.selected';
const DRAFT_DELAY_MS = 400;

export class DesktopStore extends EventTarget {
  state: DesktopState | null = null;
  /** The contact on screen (a connected one or one in wrap-up), or null when idle. */
  selected: string | null = null;
  /** The customer of the last contact wrapped up: the idle desktop keeps it open. */
  lastCustomer: DeskCustomer | null = null;
  /** Set when GET /api/desktop failed for a reason other than the session (shown in the status bar). */
  offline = false;
  private readonly uis = new Map<string, ContactUi>();
  private readonly scriptStarts = new Map<string, Promise<void>>();
  private readonly draftTimers = new Map<string, number>();
  private reading: Promise<void> | null = null;
  private again = false;
  private debounce: number | undefined;
  private known = new Set<string>();

  /**
   * @param clockOffset how far the server's clock is from this browser's (ms): moments the agent picks,
   *   such as a callback's, are the server's (a demonstration may run at another moment).
   */
  constructor(readonly app: AppResponse, readonly me: SessionUser, readonly clockOffset = 0) {
    super();
    try {
      const saved = JSON.parse(sessionStorage.getItem(UI_KEY) ?? '{}') as Record<string, Partial<ContactUi>>;
      for (const [id, ui] of Object.entries(saved)) this.uis.set(id, { ...this.blankUi(), ...ui, code: undefined, notes: undefined });
      this.selected = sessionStorage.getItem(SELECTED_KEY);
    } catch {
      // A broken saved state is only the page's: start afresh.
    }
  }

  private blankUi(): ContactUi {
    return { panel: 'customer', shown: null, search: '', code: undefined, notes: undefined, recordRev: 0, message: '', reply: '' };
  }

  /** The page's state of contact `id` (made on first use). */
  ui(id: string): ContactUi {
    let ui = this.uis.get(id);
    if (!ui) {
      ui = this.blankUi();
      this.uis.set(id, ui);
    }
    return ui;
  }

  /** Changes the page's state of a contact and draws again. */
  setUi(id: string, change: Partial<ContactUi>): void {
    Object.assign(this.ui(id), change);
    this.saveUi();
    this.changed();
  }

  private saveUi(): void {
    try {
      const out: Record<string, unknown> = {};
      for (const [id, ui] of this.uis) out[id] = { panel: ui.panel, shown: ui.shown, search: ui.search, message: ui.message, reply: ui.reply };
      sessionStorage.setItem(UI_KEY, JSON.stringify(out));
      if (this.selected) sessionStorage.setItem(SELECTED_KEY, this.selected);
      else sessionStorage.removeItem(SELECTED_KEY);
    } catch {
      // Storage full or off: the page still works, a reload just starts with the defaults.
    }
  }

  /** Every item on the desk: connected contacts first (in the order they came), then wrap-ups. */
  items(): DeskItem[] {
    const s = this.state;
    if (!s) return [];
    const wrapping = new Set(s.wrapUps.map((w) => w.contactId));
    return [
      ...s.contacts.filter((c) => !wrapping.has(c.id)).map((c) => ({ kind: 'contact' as const, id: c.id, contact: c })),
      ...s.wrapUps.map((w) => ({ kind: 'wrap-up' as const, id: w.contactId, wrapUp: w })),
    ];
  }

  item(id: string | null): DeskItem | undefined {
    return id === null ? undefined : this.items().find((i) => i.id === id);
  }

  select(id: string | null): void {
    if (this.selected && this.selected !== id) this.flushDraft(this.selected);
    this.selected = id;
    this.saveUi();
    this.changed();
  }

  /** Tells the components to draw again. */
  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  /** Reads the desktop again soon (several pushes in a row make one read). */
  requestRefresh(delayMs = 30): void {
    window.clearTimeout(this.debounce);
    this.debounce = window.setTimeout(() => contain(this.refresh()), delayMs);
  }

  /** Reads GET /api/desktop; one read at a time, and one more if asked meanwhile. */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        try {
          const s = await api<DesktopState>('GET', '/api/desktop');
          this.offline = false;
          this.apply(s);
        } catch (e) {
          if (e instanceof ApiError && e.redirecting) return;
          this.offline = true;
          this.changed();
          if (!(e instanceof ApiError) || e.status >= 500) return;
          fail(e);
        }
      } while (this.again);
    })().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private apply(s: DesktopState): void {
    const before = this.known;
    const prev = this.state;
    this.state = s;
    const items = this.items();
    const ids = new Set(items.map((i) => i.id));
    this.known = ids;
    // A contact that just connected comes to the screen; one that went away leaves it.
    const fresh = items.filter((i) => i.kind === 'contact' && !before.has(i.id));
    if (fresh.length && prev) this.selected = fresh[fresh.length - 1]!.id;
    else if (this.selected === null || !ids.has(this.selected)) this.selected = items[0]?.id ?? null;
    // The contacts that left the desk: keep the customer of the last one for the idle view.
    for (const id of before) {
      if (ids.has(id)) continue;
      const gone = prev?.wrapUps.find((w) => w.contactId === id)?.customer ?? prev?.contacts.find((c) => c.id === id)?.customer ?? null;
      if (gone) this.lastCustomer = gone;
      this.uis.delete(id);
      this.scriptStarts.delete(id);
    }
    // A wrap-up's draft from the server when the page has none typed (after a reload, or another tab).
    for (const w of s.wrapUps) {
      const ui = this.ui(w.contactId);
      if (ui.code === undefined && w.draft?.code !== undefined) ui.code = w.draft.code;
      if (ui.notes === undefined && w.draft?.notes !== undefined) ui.notes = w.draft.notes;
    }
    this.saveUi();
    this.startScripts();
    this.changed();
  }

  /**
   * Starts the dialogue script of each connected contact whose queue has one and that has none yet
   * (persisted on the server with the contact: a reload finds it in the contact's `script`).
   */
  private startScripts(): void {
    for (const c of this.state?.contacts ?? []) {
      if (c.script || c.state !== 'connected' || this.scriptStarts.has(c.id)) continue;
      if (!this.app.desktop.scripts.some((s) => s.queue === c.queueId)) continue;
      // The record the script writes its answers to: the linked customer, else the screen pop's only
      // match (the server may still be linking it when the contact first shows).
      const pop = c.screenPop;
      const sole = pop && pop.matches.length === 1 ? { object: pop.object, recordId: keyOf(this.app, pop.object, pop.matches[0]!) } : {};
      const customer = c.customer ? { object: c.customer.object, recordId: c.customer.id } : sole;
      const start = api('POST', '/api/scripts/sessions', { contactId: c.id, ...customer }).then(
        () => this.requestRefresh(0),
        (e: unknown) => fail(e),
      );
      this.scriptStarts.set(c.id, start);
    }
  }

  /**
   * Calls the API for the agent and reads the desktop again; on an error says so and resolves null.
   */
  async act<T = unknown>(method: Method, path: string, body?: unknown): Promise<T | null> {
    try {
      const r = await api<T>(method, path, body);
      this.requestRefresh(0);
      return r;
    } catch (e) {
      fail(e);
      return null;
    }
  }

  /** Keeps the wrap-up being typed on the server (a reload shows it again). */
  draft(id: string, change: { code?: string; notes?: string }): void {
    const ui = this.ui(id);
    if (change.code !== undefined) ui.code = change.code;
    if (change.notes !== undefined) ui.notes = change.notes;
    window.clearTimeout(this.draftTimers.get(id));
    this.draftTimers.set(id, window.setTimeout(() => this.flushDraft(id), DRAFT_DELAY_MS));
  }

  flushDraft(id: string): void {
    const timer = this.draftTimers.get(id);
    if (timer === undefined) return;
    window.clearTimeout(timer);
    this.draftTimers.delete(id);
    const ui = this.ui(id);
    const body = { ...(ui.code !== undefined ? { code: ui.code } : {}), ...(ui.notes !== undefined ? { notes: ui.notes } : {}) };
    // A draft of a contact that just ended its wrap-up is of no use any more: its 404 is not shown.
    api('PUT', `/api/contacts/${encodeURIComponent(id)}/wrap-up-draft`, body).catch((e: unknown) => {
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 409)) fail(e);
    });
  }

  /** Files the wrap-up of contact `id` on its own linked customer; the agent is ready again. */
  async finishWrapUp(id: string): Promise<boolean> {
    const ui = this.ui(id);
    window.clearTimeout(this.draftTimers.get(id));
    this.draftTimers.delete(id);
    const code = ui.code ?? this.state?.wrapUpCodes[0]?.code;
    if (!code) return false;
    const r = await this.act('POST', `/api/contacts/${encodeURIComponent(id)}/wrap-up`, { code, ...(ui.notes ? { notes: ui.notes } : {}) });
    if (r === null) return false;
    announce(t('desktop.wrappedUp'));
    return true;
  }
}
