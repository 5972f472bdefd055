/**
 * The monitor's figures on the wallboard when a monitor service is registered: the service level of
 * today, the campaigns, the alerts (topics `center`, `campaigns`, `alerts` over /ws/monitor), and
 * under them the campaign control.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { hasText, t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';
import { MonitorFeed } from '../shared/monitor.js';
import type { WidgetKind } from '../shared/types.js';
import type { LiveCampaign } from './campaign-control.js';
import './campaign-control.js';

interface CenterTopic {
  readonly today: { readonly serviceLevel: { readonly ofOffered: number; readonly thresholdSeconds: number }; readonly offered: number; readonly abandoned: number };
  readonly callbacksPending: number;
}
interface Alert {
  readonly id: string;
  readonly severity: string;
  readonly subject: string;
  readonly metric: string;
  readonly comparison: string;
  readonly value: unknown;
}

const pct = (x: unknown): string => `${Math.round((Number(x) || 0) * 100)} %`;

export class MonitorPanels extends LightElement {
  static override properties = { version: { state: true } };
  /** Counts the topics' changes: each one draws the panels again. */
  declare private version: number;

  /** Which panels a dashboard shows, and their labels. */
  show: (kind: WidgetKind) => boolean = () => true;
  label: (kind: WidgetKind, text: string) => string = (_kind, text) => text;
  private feed: MonitorFeed | undefined;

  constructor() {
    super();
    this.version = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.feed = new MonitorFeed(() => ['center', 'campaigns', 'alerts'], () => { this.version += 1; });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.feed?.close();
  }

  protected override render(): TemplateResult {
    const values = this.feed?.values;
    const camps = Object.values((values?.get('campaigns') as { campaigns?: Record<string, LiveCampaign> } | undefined)?.campaigns ?? {});
    const control = this.show('campaigns') ? html`<caruso-campaign-control .live=${camps}></caruso-campaign-control>` : nothing;
    // One template before and after the first figures: a second one would replace the campaign
    // control, and with it the button a supervisor has focused, when the figures arrive.
    const panels: [WidgetKind, TemplateResult][] =
      this.version === 0 ? [] : [['service-level', this.serviceLevel(values?.get('center') as CenterTopic | undefined)], ['campaigns', this.campaigns(camps)], ['alerts', this.alerts(values?.get('alerts') as { active?: Record<string, Alert> } | undefined)]];
    return html`<div id="wb-monitor" class="grid wb-grid">${panels.filter(([kind]) => this.show(kind)).map(([, panel]) => panel)}</div>${control}`;
  }

  private serviceLevel(c: CenterTopic | undefined): TemplateResult {
    const figures = c
      ? html`<div id="wb-sl-value" class="figure">${pct(c.today.serviceLevel.ofOffered)}</div><p>${t('wallboard.within')} ${c.today.serviceLevel.thresholdSeconds} s · ${t('wallboard.offered')} ${c.today.offered} · ${t('wallboard.abandoned')} ${c.today.abandoned} · ${t('wallboard.callbacks')} ${c.callbacksPending}</p>`
      : nothing;
    return html`<section class="panel" aria-labelledby="wb-sl"><h2 id="wb-sl">${this.label('service-level', t('wallboard.serviceLevel'))}</h2>${figures}</section>`;
  }

  private campaigns(camps: readonly LiveCampaign[]): TemplateResult {
    const table = camps.length
      ? html`<table><thead><tr>${['campaign', 'state', 'dialled', 'answered', 'dropRate'].map((k) => html`<th scope="col">${t(`wallboard.${k}`)}</th>`)}</tr></thead><tbody>${camps.map((x) => html`<tr><td>${x.campaignId}</td><td>${hasText(`campaign.state.${x.state}`) ? t(`campaign.state.${x.state}`) : x.state}</td><td>${x.dialled}</td><td>${x.answered}</td><td>${pct(x.dropRate)}</td></tr>`)}</tbody></table>`
      : html`<p>${t('wallboard.none')}</p>`;
    return html`<section class="panel" aria-labelledby="wb-camp"><h2 id="wb-camp">${this.label('campaigns', t('wallboard.campaigns'))}</h2>${table}</section>`;
  }

  private alerts(topic: { active?: Record<string, Alert> } | undefined): TemplateResult {
    const alerts = Object.values(topic?.active ?? {});
    const list = alerts.length
      ? html`<ul id="wb-alert-list">${alerts.map((a) => html`<li data-severity=${a.severity}>${a.severity}: ${a.id} (${a.subject}) ${a.metric} ${a.comparison} → ${String(a.value)}</li>`)}</ul>`
      : html`<p>${t('wallboard.none')}</p>`;
    return html`<section class="panel" aria-labelledby="wb-alerts" aria-live="polite"><h2 id="wb-alerts">${this.label('alerts', t('wallboard.alerts'))}</h2>${list}</section>`;
  }
}
customElements.define('caruso-monitor-panels', MonitorPanels);
