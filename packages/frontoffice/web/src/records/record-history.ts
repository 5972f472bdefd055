/**
 * A record's whole history (`GET …/history`, docs/crm-api.md): contacts (a voicemail to play, an
 * e-mail's subject and body, a chat's transcript), notes, tasks and changes, grouped by day in the
 * application's language on the server's clock, filtered by channel and kind, paged. Notes are added
 * here and edited while the server allows it; tasks are added and ticked off.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { announce, contain, fail } from '../shared/dom.js';
import { hasText, t } from '../shared/i18n.js';
import { dayKey, dayLabel, fmtDateTime, fmtDuration, fmtTime, fmtValue } from '../shared/format.js';
import { keyed } from 'lit/directives/keyed.js';
import type { CarusoDateInput } from '../shared/date-input.js';
import '../shared/date-input.js';
import { LightElement } from '../shared/light-element.js';
import { serverNow, type PageContext } from '../shared/context.js';
import { queueLabel, scriptLabel } from '../shared/labels.js';
import type { HistoryItem, HistoryPage, RoleObject } from '../shared/types.js';
import '../shared/recordings-list.js';

const CHANNELS = ['call', 'email', 'chat', 'callback'] as const;
const KINDS = ['note', 'task', 'change'] as const;
type Filter = (typeof CHANNELS)[number] | (typeof KINDS)[number];

export class RecordHistory extends LightElement {
  static override properties = { items: { state: true }, next: { state: true }, shown: { state: true }, editing: { state: true }, taskRev: { state: true } };
  /** Counts the tasks added here: a new one gets a fresh due field. */
  declare private taskRev: number;
  /** The default due moment of the task form of `rev`. */
  private dueFor: { readonly rev: number; readonly due: string } | undefined;
  declare private items: readonly HistoryItem[] | undefined;
  declare private next: string | null;
  declare private shown: ReadonlySet<Filter>;
  declare private editing: string | undefined;

  ctx!: PageContext;
  def!: RoleObject;
  recordId = '';

  constructor() {
    super();
    this.next = null;
    this.taskRev = 0;
    this.shown = new Set([...CHANNELS, ...KINDS]);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.reload());
  }

  private get base(): string {
    return `/api/objects/${encodeURIComponent(this.def.name)}/${encodeURIComponent(this.recordId)}`;
  }

  private query(before: string | null): string {
    const q = new URLSearchParams({ limit: '50' });
    if (before) q.set('before', before);
    const channels = CHANNELS.filter((c) => this.shown.has(c));
    const kinds = KINDS.filter((k) => this.shown.has(k));
    if (channels.length < CHANNELS.length) q.set('channel', channels.join(','));
    if (channels.length < CHANNELS.length || kinds.length < KINDS.length) q.set('kinds', [...(channels.length ? ['contact'] : []), ...kinds].join(','));
    return q.toString();
  }

  /** Reads the history again from the newest (after a save, a note, a filter). */
  async reload(): Promise<void> {
    try {
      const r = await api<HistoryPage>('GET', `${this.base}/history?${this.query(null)}`);
      this.items = r.items;
      this.next = r.next;
    } catch (e) {
      fail(e);
    }
  }

  private async more(): Promise<void> {
    const r = await api<HistoryPage>('GET', `${this.base}/history?${this.query(this.next)}`);
    this.items = [...(this.items ?? []), ...r.items];
    this.next = r.next;
  }

  private visible(i: HistoryItem): boolean {
    return i.kind === 'contact' ? this.shown.has(i.channel) : this.shown.has(i.kind);
  }

  private toggle(f: Filter, on: boolean): void {
    const s = new Set(this.shown);
    if (on) s.add(f);
    else s.delete(f);
    this.shown = s;
    contain(this.reload());
  }

  protected override render(): TemplateResult | typeof nothing {
    const items = this.items;
    if (!items) return nothing;
    const now = serverNow(this.ctx);
    const days: { key: string; at: number; items: HistoryItem[] }[] = [];
    for (const i of items.filter((x) => this.visible(x))) {
      const k = dayKey(i.at);
      const last = days[days.length - 1];
      if (last?.key === k) last.items.push(i);
      else days.push({ key: k, at: i.at, items: [i] });
    }
    const filters = html`<fieldset class="history-filters"><legend>${t('history.show')}</legend>${[...CHANNELS, ...KINDS].map((f) => html`<label class="check"><input type="checkbox" data-filter=${f} .checked=${this.shown.has(f)} @change=${(ev: Event) => this.toggle(f, (ev.target as HTMLInputElement).checked)}> ${t(`history.filter.${f}`)}</label>`)}</fieldset>`;
    const body = days.length
      ? days.map((d) => html`<section class="history-day" aria-label=${dayLabel(d.at, now)}><h3>${dayLabel(d.at, now)}</h3><ol class="timeline">${d.items.map((i) => html`<li class=${`history-${i.kind}`}>${this.item(i, now)}</li>`)}</ol></section>`)
      : html`<p class="muted">${t('history.empty')}</p>`;
    const more = this.next ? html`<p><button type="button" class="secondary" id="history-more" @click=${() => contain(this.more())}>${t('history.more')}</button></p>` : nothing;
    return html`<section class="panel" aria-labelledby="history-title"><h2 id="history-title">${t('history.title')}</h2>${this.forms()}${filters}<div id="history">${body}</div>${more}</section>`;
  }

  private forms(): TemplateResult {
    // Tomorrow at this time by default (an ISO moment: the input shows it on the browser's wall clock),
    // fixed for this task form: a later drawing (a note, a filter) keeps what the user typed.
    if (this.dueFor?.rev !== this.taskRev) this.dueFor = { rev: this.taskRev, due: new Date(serverNow(this.ctx) + 86_400_000).toISOString() };
    const due = this.dueFor.due;
    return html`<details class="history-add"><summary>${t('note.add')}</summary><form id="note-form" @submit=${this.addNote}><label for="note-text">${t('note.text')}</label><textarea id="note-text" rows="3" maxlength="4000" required></textarea><p><button type="submit">${t('note.save')}</button></p></form></details><details class="history-add"><summary>${t('task.add')}</summary><form id="task-form" novalidate @submit=${this.addTask}><label for="task-title">${t('task.title')}</label><input id="task-title" maxlength="200" required>${keyed(this.taskRev, html`<caruso-date-input field-id="task-due" kind="datetime" label=${t('task.due')} required .value=${due}></caruso-date-input>`)}<label for="task-kind">${t('task.kind')}</label><select id="task-kind"><option value="todo">${t('task.kind.todo')}</option><option value="call">${t('task.kind.call')}</option></select><label for="task-for">${t('task.for')}</label><select id="task-for"><option value="">${t('task.forMe')}</option>${this.ctx.app.queues.map((q) => html`<option value=${q.id}>${t('task.forQueue', { queue: q.label })}</option>`)}</select><p><button type="submit">${t('task.save')}</button></p></form></details>`;
  }

  private item(i: HistoryItem, now: number): TemplateResult {
    const time = html`<time datetime=${new Date(i.at).toISOString()} title=${fmtDateTime(i.at)}>${fmtTime(i.at)}</time>`;
    if (i.kind === 'note') {
      const editable = i.editableUntil !== null && i.editableUntil > now && i.author === this.ctx.me.name;
      if (this.editing === i.id) {
        return html`<form @submit=${(ev: SubmitEvent) => this.saveNote(ev, i.id)}><label for=${`note-edit-${i.id}`}>${t('note.edit')}</label><textarea id=${`note-edit-${i.id}`} rows="3" maxlength="4000" .value=${i.text}></textarea><p><button type="submit">${t('note.save')}</button> <button type="button" class="secondary" @click=${() => (this.editing = undefined)}>${t('call.cancel')}</button></p></form>`;
      }
      return html`${time} <strong>${t('history.note')}</strong> · ${i.author}<p class="note-text">${i.text}</p>${editable ? html`<button type="button" class="secondary small" @click=${() => (this.editing = i.id)}>${t('note.edit')}</button>` : nothing}`;
    }
    if (i.kind === 'task') {
      const who = i.assignee.user ?? (i.assignee.queue ? this.queueLabel(i.assignee.queue) : '');
      const overdue = !i.done && i.due < now;
      return html`${time} <strong>${t('history.task')}</strong> · ${i.title}<div class=${overdue ? 'overdue' : ''}>${t('task.due')}: ${fmtDateTime(i.due)}${who ? ` · ${who}` : ''}${overdue ? ` · ${t('task.overdue')}` : ''}</div><label class="check"><input type="checkbox" .checked=${i.done} ?disabled=${i.done} @change=${() => contain(this.taskDone(i.id))}> ${t('task.done')}</label>`;
    }
    if (i.kind === 'change') {
      const fields = this.def.fields;
      const changes = i.action === 'update' ? i.fields : [];
      return html`${time} <strong>${t(`history.action.${i.action}`)}</strong> · ${i.actor}${changes.length ? html`<ul class="changes">${changes.map((c) => { const f = fields.find((x) => x.name === c.field); return html`<li>${c.label || f?.label || c.field}: <del>${fmtValue(c.before, f) || '–'}</del> → <ins>${fmtValue(c.after, f) || '–'}</ins></li>`; })}</ul>` : nothing}`;
    }
    return this.contact(i, time);
  }

  private queueLabel(id: string): string {
    return queueLabel(this.ctx.app, id);
  }

  private contact(i: Extract<HistoryItem, { kind: 'contact' }>, time: TemplateResult): TemplateResult {
    const parts = [
      i.queue ? (i.queue.label !== i.queue.id ? i.queue.label : this.queueLabel(i.queue.id)) : undefined,
      i.agent,
      i.waitMs !== null ? `${t('history.wait')} ${fmtDuration(i.waitMs)}` : undefined,
      i.talkMs !== null ? `${t('history.talk')} ${fmtDuration(i.talkMs)}` : undefined,
      i.attempts !== null ? `${t('history.attempts')} ${i.attempts}` : undefined,
      i.campaign ? `${t('history.campaign')} ${i.campaign}` : undefined,
    ].filter((x): x is string => !!x);
    // How it ended, when it did not end with an agent (a caller who hung up while waiting, a voicemail …).
    const outcome = i.outcome && i.outcome !== 'completed' ? (hasText(`history.outcome.${i.outcome}`) ? t(`history.outcome.${i.outcome}`) : i.outcome) : '';
    const title = `${t(`channel.${i.channel}`)}${i.direction === 'outbound' ? ` · ${t('history.outbound')}` : ''}${outcome ? ` · ${outcome}` : ''}`;
    return html`${time} <strong>${title}</strong>${i.disposition ? html` · <span class="badge">${i.disposition.label}</span>` : nothing}${parts.length ? html`<div class="muted">${parts.join(' · ')}</div>` : nothing}${i.note ? html`<p>${i.note}</p>` : nothing}${i.ivr ? html`<div>${t('history.ivr')}: ${scriptLabel(this.ctx.app, i.ivr.script)}${i.ivr.outcome ? ` → ${i.ivr.outcome}` : ''}</div>` : nothing}${(i.channel === 'call' || i.channel === 'callback') && i.contactId ? html`<caruso-recordings .contactId=${i.contactId}></caruso-recordings>` : nothing}${i.voicemail ? html`<div><span>${t('history.voicemail')} (${fmtDuration(i.voicemail.durationMs)})</span><audio controls preload="none" src=${i.voicemail.url} aria-label=${t('history.voicemail')}></audio></div>` : nothing}${i.email ? html`<details><summary>${i.email.subject ?? t('history.noSubject')}</summary><pre class="email-body">${i.email.body ?? ''}</pre></details>` : nothing}${i.chat ? html`<details><summary>${t('chat.transcript')} (${i.chat.transcript.length})</summary><ol class="transcript">${i.chat.transcript.map((m) => html`<li class=${`from-${m.from}`}><strong>${t(`history.from.${m.from}`)}</strong> ${fmtTime(m.at)}: ${m.text}</li>`)}</ol></details>` : nothing}`;
  }

  private readonly addNote = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    const text = this.querySelector('#note-text') as HTMLTextAreaElement;
    if (!text.value.trim()) return text.focus();
    try {
      await api('POST', `${this.base}/notes`, { text: text.value });
      text.value = '';
      announce(t('note.saved'));
      await this.reload();
    } catch (e) {
      fail(e);
    }
  };

  private async saveNote(ev: SubmitEvent, id: string): Promise<void> {
    ev.preventDefault();
    const text = this.querySelector(`#note-edit-${CSS.escape(id)}`) as HTMLTextAreaElement;
    try {
      await api('PATCH', `/api/notes/${encodeURIComponent(id)}`, { text: text.value });
      this.editing = undefined;
      announce(t('note.saved'));
      await this.reload();
    } catch (e) {
      fail(e);
    }
  }

  private readonly addTask = async (ev: SubmitEvent): Promise<void> => {
    ev.preventDefault();
    const title = this.querySelector('#task-title') as HTMLInputElement;
    const when = this.querySelector<CarusoDateInput>('caruso-date-input[field-id="task-due"]');
    if (!title.value.trim()) return title.focus();
    if (!when?.validate()) return;
    const due = new Date(when.value);
    if (Number.isNaN(due.getTime())) return when.focus();
    const kind = (this.querySelector('#task-kind') as HTMLSelectElement).value;
    // Me, or a team: a queue's task reminds whoever serves that queue.
    const queue = (this.querySelector('#task-for') as HTMLSelectElement | null)?.value ?? '';
    try {
      await api('POST', '/api/tasks', { object: this.def.name, recordId: this.recordId, title: title.value, due: due.getTime(), assignee: queue ? { queue } : { user: this.ctx.me.name }, kind });
      title.value = '';
      // A fresh due field (tomorrow again) for the next task.
      this.taskRev++;
      announce(t('task.saved'));
      await this.reload();
    } catch (e) {
      fail(e);
    }
  };

  private async taskDone(id: string): Promise<void> {
    await api('PATCH', `/api/tasks/${encodeURIComponent(id)}`, { done: true });
    announce(t('task.markedDone'));
    await this.reload();
  }
}
customElements.define('caruso-record-history', RecordHistory);
