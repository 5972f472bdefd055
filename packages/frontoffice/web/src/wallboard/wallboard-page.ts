/**
 * The supervisor wallboard (`/wallboard`) and the dashboards (`/dashboards/<name>`). A named dashboard
 * shows its own widgets only (live ones with their labels, then its reports); /wallboard shows every
 * live panel. The figures as the server has them now, then live from the monitor's topics (one live
 * feed, folded from the contact event log); without a monitor they stay as read, and the page says so.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { cssProps } from '../shared/css.js';
import { fail } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { fmtDuration, fmtNumber } from '../shared/format.js';
import { queueLabel, stateLabel } from '../shared/labels.js';
import { LightElement } from '../shared/light-element.js';
import type { PageContext } from '../shared/context.js';
import type { Dashboard, WallboardFigures, WidgetKind } from '../shared/types.js';
import { LiveFigures, type Figures } from './live-figures.js';
import '../reports/report-widget.js';
import './monitor-panels.js';
import './quality-agents.js';

const LIVE: readonly WidgetKind[] = ['agents-by-state', 'waiting', 'queues'];
const MONITOR: readonly WidgetKind[] = ['service-level', 'campaigns', 'alerts'];

export class WallboardPage extends LightElement {
  static override properties = { figures: { state: true }, monitor: { state: true }, tasks: { state: true } };
  /** Open tasks per queue (`GET /api/tasks/summary`), when the server has them. */
  declare private tasks: readonly { readonly queueId: string; readonly overdue: number; readonly dueToday: number }[] | undefined;
  declare private figures: Figures | undefined;
  /** Whether the server has a monitor (live figures and the monitor's panels), once known. */
  declare private monitor: boolean | undefined;

  ctx!: PageContext;
  private dashboard: Dashboard | undefined;
  /** A named dashboard's live widgets and their labels; none on /wallboard (every panel). */
  private widgets: ReadonlyMap<WidgetKind, string | undefined> | undefined;
  private named = false;
  private live: LiveFigures | undefined;

  private readonly show = (kind: WidgetKind): boolean => !this.widgets || this.widgets.has(kind);
  private readonly label = (kind: WidgetKind, text: string): string => this.widgets?.get(kind) ?? text;

  override connectedCallback(): void {
    super.connectedCallback();
    const path = location.pathname;
    const name = path.startsWith('/dashboards/') ? decodeURIComponent(path.slice('/dashboards/'.length)) : undefined;
    this.named = name !== undefined;
    this.dashboard = name === undefined ? this.ctx.app.dashboards[0] : this.ctx.app.dashboards.find((d) => d.name === name);
    if (name !== undefined && !this.dashboard) {
      fail(new Error(`${t('dashboard.unknown')} ${name}`));
      return;
    }
    if (this.named && this.dashboard) this.widgets = new Map(this.dashboard.widgets.filter((w) => w.kind !== 'report').map((w) => [w.kind, w.label]));
    const wantLive = LIVE.some(this.show);
    const wantMonitor = MONITOR.some(this.show);
    if (!this.named) {
      api<{ queues: readonly { queueId: string; overdue: number; dueToday: number }[] }>('GET', '/api/tasks/summary').then((r) => {
        this.tasks = r.queues;
      }, () => undefined);
    }
    if (!wantLive && !wantMonitor) return;
    api<(WallboardFigures & { monitor?: boolean }) | null>('GET', '/api/wallboard').then((f) => {
      if (!f) return;
      this.monitor = f.monitor === true;
      if (!wantLive) return;
      this.figures = f;
      if (f.monitor) this.live = new LiveFigures(f, this.ctx.clockOffset, (figures) => { this.figures = figures; });
    }, () => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.live?.close();
  }

  protected override render(): TemplateResult {
    const dashboard = this.dashboard;
    const title = dashboard && this.named ? dashboard.label : t('nav.wallboard');
    const reports = (dashboard?.widgets ?? []).filter((w) => w.kind === 'report');
    const wantLive = LIVE.some(this.show);
    const wantMonitor = MONITOR.some(this.show);
    const notLive = wantLive && this.monitor === false ? html`<p id="wb-not-live" class="muted">${t('wallboard.notLive')}</p>` : nothing;
    const monitor = wantMonitor && this.monitor === true ? html`<caruso-monitor-panels .show=${this.show} .label=${this.label}></caruso-monitor-panels>` : nothing;
    const widgets = reports.length ? html`<div id="wb-reports" class="grid wb-grid wb-reports">${reports.map((w, i) => html`<caruso-report-widget .ctx=${this.ctx} .widget=${w} .index=${i}></caruso-report-widget>`)}</div>` : nothing;
    const tasks = this.tasks?.length
      ? html`<section class="panel" aria-labelledby="wb-tasks"><h2 id="wb-tasks">${t('wallboard.tasks')}</h2><table id="wb-task-table"><thead><tr><th scope="col">${t('wallboard.queue')}</th><th scope="col">${t('wallboard.tasksOverdue')}</th><th scope="col">${t('wallboard.tasksToday')}</th></tr></thead><tbody>${this.tasks.map((q) => html`<tr><td>${queueLabel(this.ctx.app, q.queueId)}</td><td>${fmtNumber(q.overdue)}</td><td>${fmtNumber(q.dueToday)}</td></tr>`)}</tbody></table></section>`
      : nothing;
    // The busy agents' quality menu (monitor a call, watch a chat, a private note) on /wallboard only.
    const quality = !this.named && this.monitor !== undefined ? html`<caruso-quality-agents .ctx=${this.ctx} .live=${this.monitor}></caruso-quality-agents>` : nothing;
    return html`<h1>${title}</h1><div id="wallboard">${this.figures ? this.panels(this.figures) : nothing}</div>${quality}${tasks}${monitor}${notLive}${widgets}`;
  }

  private panels(f: Figures): TemplateResult {
    const max = Math.max(1, ...Object.values(f.agents));
    const agents = html`<section class="panel" aria-labelledby="wb-agents"><h2 id="wb-agents">${this.label('agents-by-state', t('wallboard.agents'))}</h2>${Object.entries(f.agents).map(([s, n]) => html`<div class="bar" data-state=${s}><span class="bar-label">${stateLabel(s)}</span><span class="fill" ${cssProps({ width: `${Math.round((n / max) * 200)}px` })} role="img" aria-label=${`${stateLabel(s)}: ${n}`}></span><span class="count">${n}</span></div>`)}</section>`;
    const waiting = html`<section class="panel" aria-labelledby="wb-waiting"><h2 id="wb-waiting">${this.label('waiting', t('wallboard.waiting'))}</h2><div id="wb-waiting-count" class="figure">${f.waiting}</div></section>`;
    const queues = html`<section class="panel" aria-labelledby="wb-queues"><h2 id="wb-queues">${this.label('queues', t('wallboard.queues'))}</h2><table><thead><tr>${['queue', 'waiting', 'staffed', 'available', 'longest'].map((k) => html`<th scope="col">${t(`wallboard.${k}`)}</th>`)}</tr></thead><tbody>${f.queues.map((q) => html`<tr><td>${queueLabel(this.ctx.app, q.queueId)}</td><td>${q.waiting}</td><td>${q.staffed}</td><td>${q.available}</td><td>${fmtDuration(q.longestWaitMs)}</td></tr>`)}</tbody></table></section>`;
    const panels: [WidgetKind, TemplateResult][] = [['agents-by-state', agents], ['waiting', waiting], ['queues', queues]];
    return html`<div class="grid wb-grid">${panels.filter(([kind]) => this.show(kind)).map(([, panel]) => panel)}</div>`;
  }
}
customElements.define('caruso-wallboard-page', WallboardPage);
