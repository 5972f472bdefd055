/**
 * `<caruso-date-input>`: a date, or a date and a time of day, entered in the application's language
 * (`<html lang>`), not the browser's. The native date inputs follow the browser's locale, so an English
 * browser showed mm/dd/yyyy to a Dutch agent; here Intl.DateTimeFormat gives the order of the fields,
 * their separators and the 12- or 24-hour clock, and Intl.DisplayNames the fields' names (their labels,
 * and the placeholders made of their first letters: "dd-mm-jjjj" in Dutch, "mm/dd/yyyy" in English).
 *
 * One text field per part (day, month, year; hour, minute and in a 12-hour language a.m./p.m.), in one
 * fieldset named by its legend (`label`) or by another element (`labelledby`). Typing moves on when a
 * part is full, a separator moves on too, Backspace in an empty part goes back, the arrow keys up and
 * down count, and a whole date pasted or typed into a part fills them all. Underneath, the date in words
 * (with the month's name) once it is whole, and an error once the agent leaves an incomplete or impossible
 * date. `value` is `yyyy-mm-dd` (kind `date`) or an ISO moment (kind `datetime`: the time typed is the
 * browser's wall clock, as the native `datetime-local` was); empty while nothing is typed or the date is
 * not valid. Light DOM (LightElement): the page's stylesheet applies and the parts are in the document.
 */
import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { cssProps } from './css.js';
import { pageLang, t } from './i18n.js';
import { LightElement } from './light-element.js';

/** A part of a date or time that has its own field. */
export type DatePart = 'day' | 'month' | 'year' | 'hour' | 'minute' | 'dayPeriod';

/** The fields of a date (and time) in a language: their order, names, placeholders and separators. */
export interface DateLayout {
  readonly parts: readonly { readonly part: DatePart; readonly label: string; readonly placeholder: string; readonly after: string }[];
  /** The language writes hours 1–12 with a.m./p.m. */
  readonly hour12: boolean;
  /** The names of a.m. and p.m. in the language. */
  readonly periods: readonly [string, string];
  /** The placeholders joined as the language writes a date, e.g. "dd-mm-jjjj uu:mm". */
  readonly pattern: string;
}

const WIDTH: Readonly<Record<DatePart, number>> = { day: 2, month: 2, year: 4, hour: 2, minute: 2, dayPeriod: 0 };

/** The fields of a date (with `withTime`, a date and a time) as `lang` writes them. */
export function dateLayout(lang: string, withTime: boolean): DateLayout {
  const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}) };
  const fmt = new Intl.DateTimeFormat(lang, opts);
  const hour12 = withTime && (fmt.resolvedOptions().hourCycle === 'h12' || fmt.resolvedOptions().hourCycle === 'h11');
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames(lang, { type: 'dateTimeField' });
  } catch {
    names = undefined;
  }
  const nameOf = (p: DatePart): string => names?.of(p) ?? p;
  const parts: { part: DatePart; label: string; placeholder: string; after: string }[] = [];
  for (const x of fmt.formatToParts(new Date(2026, 11, 24, 14, 5))) {
    if (x.type === 'literal') {
      const last = parts[parts.length - 1];
      if (last) last.after += x.value;
    } else if (x.type === 'day' || x.type === 'month' || x.type === 'year' || x.type === 'hour' || x.type === 'minute' || x.type === 'dayPeriod') {
      const label = nameOf(x.type);
      const letter = label.charAt(0).toLocaleLowerCase(lang);
      parts.push({ part: x.type, label, placeholder: x.type === 'dayPeriod' ? '' : letter.repeat(WIDTH[x.type]), after: '' });
    }
  }
  const last = parts[parts.length - 1];
  if (last) last.after = '';
  const period = (h: number): string => new Intl.DateTimeFormat(lang, { hour: 'numeric', hour12: true }).formatToParts(new Date(2026, 0, 1, h)).find((x) => x.type === 'dayPeriod')?.value ?? (h < 12 ? 'AM' : 'PM');
  const periods: [string, string] = [period(9), period(21)];
  const pattern = parts.map((p) => `${p.part === 'dayPeriod' ? periods.join('/') : p.placeholder}${p.after}`).join('').trim();
  return { parts, hour12, periods, pattern };
}

type Typed = Partial<Record<DatePart, string>>;

/** What the typed parts make: a value, nothing, or why not. */
type Reading = { readonly value: string } | { readonly problem: 'incomplete' | 'invalid' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Reads the typed parts as a date (`yyyy-mm-dd`) or a moment (ISO, from the browser's wall clock). */
export function readDate(typed: Typed, withTime: boolean, hour12: boolean): Reading {
  const needed: DatePart[] = withTime ? ['day', 'month', 'year', 'hour', 'minute', ...(hour12 ? (['dayPeriod'] as const) : [])] : ['day', 'month', 'year'];
  const filled = needed.filter((p) => (typed[p] ?? '') !== '');
  if (filled.length === 0) return { value: '' };
  if (filled.length < needed.length) return { problem: 'incomplete' };
  const num = (p: DatePart): number => (/^\d+$/.test(typed[p] ?? '') ? Number(typed[p]) : NaN);
  const [d, m, y] = [num('day'), num('month'), num('year')];
  if (!(y >= 1000 && y <= 9999) || !(m >= 1 && m <= 12) || !(d >= 1 && d <= 31)) return { problem: 'invalid' };
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCMonth() !== m - 1) return { problem: 'invalid' };
  if (!withTime) return { value: `${pad(y, 4)}-${pad(m)}-${pad(d)}` };
  let h = num('hour');
  const min = num('minute');
  if (hour12) {
    if (!(h >= 1 && h <= 12)) return { problem: 'invalid' };
    h = (h % 12) + (typed.dayPeriod === 'pm' ? 12 : 0);
  } else if (!(h >= 0 && h <= 23)) return { problem: 'invalid' };
  if (!(min >= 0 && min <= 59)) return { problem: 'invalid' };
  const at = new Date(y, m - 1, d, h, min);
  // A wall-clock time the change to summer time skips does not exist.
  if (at.getHours() !== h || at.getDate() !== d) return { problem: 'invalid' };
  return { value: at.toISOString() };
}

/** The typed parts of a value (`yyyy-mm-dd` or an ISO moment), as the fields show them. */
export function partsOf(value: string, withTime: boolean, hour12: boolean): Typed {
  if (!value) return {};
  if (!withTime) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    return m ? { year: m[1]!, month: m[2]!, day: m[3]! } : {};
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return {};
  const h = at.getHours();
  return {
    year: pad(at.getFullYear(), 4), month: pad(at.getMonth() + 1), day: pad(at.getDate()),
    hour: pad(hour12 ? h % 12 || 12 : h), minute: pad(at.getMinutes()),
    ...(hour12 ? { dayPeriod: h < 12 ? 'am' : 'pm' } : {}),
  };
}

export class CarusoDateInput extends LightElement {
  static override properties = {
    fieldId: { attribute: 'field-id' },
    kind: {},
    label: {},
    labelledby: {},
    describedby: {},
    required: { type: Boolean },
    min: {},
    value: { attribute: false },
    typed: { state: true },
    problem: { state: true },
  };

  /**
   * The first field (the one a `<label for>` or a test reaches, whichever part the language writes
   * first) has this id; the others are `<fieldId>-day`, `<fieldId>-month`, …; the error is `<fieldId>-error`.
   */
  declare fieldId: string;
  declare kind: 'date' | 'datetime';
  /** The visible name (a legend); else `labelledby` names the fields. */
  declare label: string;
  declare labelledby: string;
  /** More ids that describe the field (an error of the server's, a hint). */
  declare describedby: string;
  declare required: boolean;
  /** The earliest value allowed, in the form of `value`. */
  declare min: string;
  /** `yyyy-mm-dd` or an ISO moment; empty when nothing (valid) is typed. */
  declare value: string;
  declare typed: Typed;
  /** The error shown: set when the agent leaves the fields or submits, cleared when they become valid. */
  declare problem: string;
  private lastValue = '';

  constructor() {
    super();
    this.fieldId = 'date';
    this.kind = 'date';
    this.label = '';
    this.labelledby = '';
    this.describedby = '';
    this.required = false;
    this.min = '';
    this.value = '';
    this.typed = {};
    this.problem = '';
  }

  private get withTime(): boolean {
    return this.kind === 'datetime';
  }

  private layout(): DateLayout {
    return dateLayout(pageLang(), this.withTime);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // A value set from outside (a draft, a reset) shows in the fields.
    if (changed.has('value') && this.value !== this.lastValue) {
      this.lastValue = this.value;
      this.typed = partsOf(this.value, this.withTime, this.layout().hour12);
      this.problem = '';
    }
  }

  /** The name the error messages use for the field. */
  private fieldName(): string {
    if (this.label) return this.label;
    const named = this.labelledby ? document.getElementById(this.labelledby)?.textContent?.trim() : '';
    return named ?? '';
  }

  /** Why the value typed is not accepted (in the page's language), or '' when it is. */
  private check(reading: Reading): string {
    const field = this.fieldName();
    if ('problem' in reading) return t('violation.type.date', { field });
    if (reading.value === '') return this.required ? t('violation.required', { field }) : '';
    const early = this.withTime ? Date.parse(reading.value) < Date.parse(this.min) : reading.value < this.min;
    if (this.min && early) return t('violation.min', { field });
    return '';
  }

  /**
   * Checks the value as a form's submit does: shows the error and moves the focus to the first field
   * when there is one. Returns whether the value may be sent.
   */
  validate(): boolean {
    this.problem = this.check(readDate(this.typed, this.withTime, this.layout().hour12));
    if (this.problem) this.focusPart(0);
    return this.problem === '';
  }

  /** Moves the focus to the first field. */
  override focus(): void {
    this.focusPart(0);
  }

  private partId(i: number, part: DatePart): string {
    return i === 0 ? this.fieldId : `${this.fieldId}-${part}`;
  }

  private partEl(i: number): HTMLInputElement | HTMLSelectElement | null {
    const p = this.layout().parts[i];
    return p ? this.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(this.partId(i, p.part))}`) : null;
  }

  private focusPart(i: number): void {
    const el = this.partEl(i);
    el?.focus();
    if (el instanceof HTMLInputElement) el.select();
  }

  private set(typed: Typed): void {
    this.typed = typed;
    const reading = readDate(typed, this.withTime, this.layout().hour12);
    const value = 'value' in reading ? reading.value : '';
    if (this.problem && this.check(reading) === '') this.problem = '';
    if (value !== this.value) {
      this.lastValue = value;
      this.value = value;
      this.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }

  /** A whole date typed or pasted into one field: its numbers in the language's order (or yyyy-mm-dd). */
  private spread(text: string): boolean {
    const nums = text.match(/\d+/g) ?? [];
    const numeric = this.layout().parts.filter((p) => p.part !== 'dayPeriod');
    if (nums.length < 3) return false;
    const typed: Typed = { ...this.typed };
    const order: DatePart[] = nums[0]!.length === 4 ? ['year', 'month', 'day', 'hour', 'minute'] : numeric.map((p) => p.part);
    order.forEach((p, i) => {
      if (nums[i] !== undefined) typed[p] = nums[i];
    });
    if (this.layout().hour12 && typed.hour !== undefined && nums.length > 3) {
      // A 24-hour time (an ISO moment, or a time without a.m./p.m.) on a 12-hour clock.
      const h = Number(typed.hour);
      const said = /p\.?\s*m/i.test(text) ? 'pm' : /a\.?\s*m/i.test(text) ? 'am' : undefined;
      typed.dayPeriod = said ?? (h >= 12 ? 'pm' : 'am');
      if (!said && h <= 23) typed.hour = pad(h % 12 || 12);
    }
    this.set(typed);
    return true;
  }

  private onInput(i: number, part: DatePart, el: HTMLInputElement): void {
    if (/[^\d]/.test(el.value) && this.spread(el.value)) {
      el.value = this.typed[part] ?? '';
      this.focusPart(this.layout().parts.length - 1);
      return;
    }
    const digits = el.value.replace(/\D/g, '').slice(0, WIDTH[part]);
    if (digits !== el.value) el.value = digits;
    this.set({ ...this.typed, [part]: digits });
    // Full, or no second digit could follow: on to the next field.
    const first = Number(digits.charAt(0));
    const max = part === 'day' ? 3 : part === 'month' ? 1 : part === 'hour' ? (this.layout().hour12 ? 1 : 2) : part === 'minute' ? 5 : 9;
    if (digits.length === WIDTH[part] || (digits.length === 1 && part !== 'year' && first > max)) this.focusPart(i + 1);
  }

  private onKey(i: number, part: DatePart, ev: KeyboardEvent): void {
    const el = ev.target as HTMLInputElement;
    const n = this.layout().parts.length;
    if (ev.key === 'ArrowUp' || ev.key === 'ArrowDown') {
      ev.preventDefault();
      const [lo, hi] = part === 'day' ? [1, 31] : part === 'month' ? [1, 12] : part === 'year' ? [1000, 9999] : part === 'hour' ? (this.layout().hour12 ? [1, 12] : [0, 23]) : [0, 59];
      const now = new Date();
      const start = part === 'year' ? now.getFullYear() : part === 'day' ? now.getDate() : part === 'month' ? now.getMonth() + 1 : lo;
      const cur = el.value === '' ? start : Number(el.value) + (ev.key === 'ArrowUp' ? 1 : -1);
      const next = cur > hi ? lo : cur < lo ? hi : cur;
      el.value = pad(next, WIDTH[part]);
      this.set({ ...this.typed, [part]: el.value });
      el.select();
    } else if (ev.key === 'Backspace' && el.value === '' && i > 0) {
      ev.preventDefault();
      this.focusPart(i - 1);
    } else if (ev.key === 'ArrowLeft' && el.selectionStart === 0 && el.selectionEnd === 0 && i > 0) {
      ev.preventDefault();
      this.focusPart(i - 1);
    } else if (ev.key === 'ArrowRight' && el.selectionStart === el.value.length && i < n - 1) {
      ev.preventDefault();
      this.focusPart(i + 1);
    } else if (ev.key.length === 1 && /[^\d]/.test(ev.key) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      // A separator (or any other sign) ends the field: on to the next one, as the date is written.
      ev.preventDefault();
      if (el.value !== '' && i < n - 1) this.focusPart(i + 1);
    }
  }

  private onPaste(ev: ClipboardEvent): void {
    const text = ev.clipboardData?.getData('text') ?? '';
    if (this.spread(text)) {
      ev.preventDefault();
      this.focusPart(this.layout().parts.length - 1);
    }
  }

  /** Leaving the fields: an incomplete or impossible date is said at once. */
  private onFocusOut(ev: FocusEvent): void {
    const to = ev.relatedTarget;
    if (to instanceof Node && this.contains(to)) return;
    const reading = readDate(this.typed, this.withTime, this.layout().hour12);
    const problem = this.check(reading);
    // Leaving an empty field is no mistake yet (submitting it is, when it is required).
    this.problem = 'value' in reading && reading.value === '' ? '' : problem;
  }

  /** The date in words, with the month's name, once it is whole. */
  private inWords(): string {
    if (!this.value) return '';
    const lang = pageLang();
    if (!this.withTime) return new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${this.value}T00:00:00Z`));
    return new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(this.value));
  }

  private field(i: number, p: DateLayout['parts'][number], layout: DateLayout, described: string): TemplateResult {
    const id = this.partId(i, p.part);
    const invalid = this.problem ? 'true' : 'false';
    if (p.part === 'dayPeriod') {
      return html`<select id=${id} class="date-part" aria-label=${p.label} aria-describedby=${described} aria-invalid=${invalid} ${cssProps({ width: 'auto' })}
        @change=${(ev: Event) => this.set({ ...this.typed, dayPeriod: (ev.target as HTMLSelectElement).value })} @keydown=${(ev: KeyboardEvent) => { if (ev.key === 'Backspace') { ev.preventDefault(); this.focusPart(i - 1); } }}>
        <option value="" ?selected=${!this.typed.dayPeriod}></option>
        <option value="am" ?selected=${this.typed.dayPeriod === 'am'}>${layout.periods[0]}</option>
        <option value="pm" ?selected=${this.typed.dayPeriod === 'pm'}>${layout.periods[1]}</option></select>`;
    }
    return html`<input id=${id} class="date-part" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" size=${WIDTH[p.part]}
      aria-label=${p.label} placeholder=${p.placeholder} aria-describedby=${described} aria-invalid=${invalid} ?required=${this.required}
      .value=${this.typed[p.part] ?? ''} ${cssProps({ width: `${WIDTH[p.part] + 2.5}ch`, 'text-align': 'center' })}
      @input=${(ev: Event) => this.onInput(i, p.part, ev.target as HTMLInputElement)} @keydown=${(ev: KeyboardEvent) => this.onKey(i, p.part, ev)}
      @paste=${(ev: ClipboardEvent) => this.onPaste(ev)} @focus=${(ev: FocusEvent) => (ev.target as HTMLInputElement).select()}>`;
  }

  protected override render(): TemplateResult {
    const layout = this.layout();
    const words = this.inWords();
    const described = [`${this.fieldId}-format`, `${this.fieldId}-words`, this.problem ? `${this.fieldId}-error` : '', this.describedby].filter(Boolean).join(' ');
    return html`<fieldset class="radios date-input" id=${`${this.fieldId}-fields`} aria-labelledby=${this.label ? nothing : this.labelledby || nothing} data-pattern=${layout.pattern}
        @focusout=${(ev: FocusEvent) => this.onFocusOut(ev)} ${cssProps({ gap: '4px', 'align-items': 'center', 'margin-top': '8px' })}>
      ${this.label ? html`<legend ${cssProps({ 'font-weight': '600' })}>${this.label}</legend>` : nothing}
      ${layout.parts.map((p, i) => html`${this.field(i, p, layout, described)}${p.after.trim() ? html`<span aria-hidden="true">${p.after.trim()}</span>` : nothing}`)}
      <span id=${`${this.fieldId}-format`} class="muted" ${cssProps({ 'margin-left': '8px' })}>${layout.pattern}</span>
    </fieldset>
    <p id=${`${this.fieldId}-words`} class="muted date-words">${words}</p>
    <p id=${`${this.fieldId}-error`} class="field-error" role="alert">${this.problem}</p>`;
  }
}
customElements.define('caruso-date-input', CarusoDateInput);

declare global {
  interface HTMLElementTagNameMap {
    'caruso-date-input': CarusoDateInput;
  }
}
