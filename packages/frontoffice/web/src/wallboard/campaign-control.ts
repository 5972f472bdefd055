/**
 * The campaign control of supervisors: start, pause or stop each campaign of the communication server
 * (GET /api/campaigns: also those never started, which the live figures do not know). Read again when
 * the live campaign figures change state (`live`) and after each action.
 */
import { html, type PropertyValues, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { fail, contain } from '../shared/dom.js';
import { t } from '../shared/i18n.js';
import { LightElement } from '../shared/light-element.js';

interface Campaign {
  readonly id: string;
  readonly status: string;
}

/** A campaign as the monitor's `campaigns` topic has it. */
export interface LiveCampaign {
  readonly campaignId: string;
  readonly state: string;
  readonly dialled: number;
  readonly answered: number;
  readonly dropRate: number;
}

const ACTIONS: Readonly<Record<string, readonly string[]>> = { created: ['start', 'stop'], paused: ['start', 'stop'], running: ['pause', 'stop'] };

export class CampaignControl extends LightElement {
  static override properties = { campaigns: { state: true }, live: { attribute: false } };
  declare private campaigns: readonly Campaign[];
  declare live: readonly LiveCampaign[];
  private seen = '';

  constructor() {
    super();
    this.campaigns = [];
    this.live = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.refresh());
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!changed.has('live')) return;
    const sig = this.live.map((x) => `${x.campaignId}:${x.state}`).join('|');
    if (sig === this.seen) return;
    this.seen = sig;
    contain(this.refresh());
  }

  private async refresh(): Promise<void> {
    try {
      this.campaigns = (await api<{ data?: readonly Campaign[] } | null>('GET', '/api/campaigns'))?.data ?? [];
    } catch {
      // Read again at the next change of the live figures.
    }
  }

  private async act(id: string, action: string): Promise<void> {
    try {
      await api('POST', `/api/campaigns/${encodeURIComponent(id)}/${action}`, {});
    } catch (e) {
      fail(e);
    }
    await this.refresh();
  }

  protected override render(): TemplateResult {
    const camps = this.campaigns;
    const items = camps.map((x) => html`<li data-campaign=${x.id}><span>${x.id}: ${x.status}</span>${(ACTIONS[x.status] ?? []).map((a) => html`<button type="button" class="secondary" data-action=${a} aria-label=${`${t(`campaign.${a}`)} ${x.id}`} @click=${() => this.act(x.id, a)}>${t(`campaign.${a}`)}</button>`)}</li>`);
    return html`<div class="grid wb-grid"><section class="panel" id="wb-camp-ctl" aria-labelledby="wb-camp-ctl-title" ?hidden=${camps.length === 0}>${camps.length ? html`<h2 id="wb-camp-ctl-title">${t('campaign.control')}</h2><ul class="campaign-actions">${items}</ul>` : ''}</section></div>`;
  }
}
customElements.define('caruso-campaign-control', CampaignControl);
