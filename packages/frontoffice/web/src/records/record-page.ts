/** A record page (`/records/<view>/<id>`): its sections as forms, a callback, and its timeline. */
import { html, nothing, type TemplateResult } from 'lit';
import { api } from '../shared/api.js';
import { fail } from '../shared/dom.js';
import { LightElement } from '../shared/light-element.js';
import { objectDef, type PageContext } from '../shared/context.js';
import type { ObjectRecord, RecordView } from '../shared/types.js';
import './record-callback.js';
import './record-form.js';
import './record-timeline.js';

export class RecordPage extends LightElement {
  static override properties = { record: { state: true } };
  declare private record: ObjectRecord | undefined;

  ctx!: PageContext;
  private view: RecordView | undefined;
  private recordId = '';

  override connectedCallback(): void {
    super.connectedCallback();
    const [, , name, id] = location.pathname.split('/').map(decodeURIComponent);
    this.view = this.ctx.app.records.find((r) => r.name === name);
    this.recordId = id ?? '';
    if (!this.view) return fail(new Error(`${name ?? ''}?`));
    void api<{ data: ObjectRecord }>('GET', `/api/objects/${this.view.object}/${encodeURIComponent(this.recordId)}`).then((r) => {
      this.record = r.data;
    }, fail);
  }

  protected override render(): TemplateResult | typeof nothing {
    const view = this.view;
    const rec = this.record;
    if (!view || !rec) return nothing;
    const def = objectDef(this.ctx, view.object);
    const sections = view.sections.map((s) => html`<section class="panel"><h2>${s.label}</h2><caruso-record-form .def=${def} .fieldNames=${s.fields.filter((n) => def.fields.some((f) => f.name === n))} .record=${rec}></caruso-record-form></section>`);
    const timeline = view.timeline ? html`<caruso-record-timeline .object=${view.object} .recordId=${this.recordId}></caruso-record-timeline>` : html`<div></div>`;
    return html`<h1>${view.label}</h1><div class="grid"><div>${sections}<caruso-record-callback .def=${def} .record=${rec}></caruso-record-callback></div>${timeline}</div>`;
  }
}
customElements.define('caruso-record-page', RecordPage);
