/**
 * The signed-in user's tasks due within 15 minutes or overdue (`GET /api/tasks/reminders`), in the
 * header: a count, and the tasks with links to their records. Read again every minute.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ApiError, api } from '../shared/api.js';
import { t } from '../shared/i18n.js';
import { contain } from '../shared/dom.js';
import { fmtDateTime } from '../shared/format.js';
import { LightElement } from '../shared/light-element.js';
import type { AppResponse, TaskList, TaskView } from '../shared/types.js';
import { openRecord, recordHref } from '../records/related-records.js';

export class TaskReminders extends LightElement {
  static override properties = { tasks: { state: true } };
  declare private tasks: readonly TaskView[];

  app!: AppResponse;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.tasks = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    contain(this.load());
    this.timer = setInterval(() => contain(this.load()), 60_000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  /** Reminders are a help, not the page: a failure is not shown; a server without the route stops asking. */
  private async load(): Promise<void> {
    try {
      this.tasks = (await api<TaskList>('GET', '/api/tasks/reminders')).tasks;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) clearInterval(this.timer);
    }
  }

  protected override render(): TemplateResult | typeof nothing {
    const n = this.tasks.length;
    if (!n) return nothing;
    return html`<details class="reminders"><summary>${t('tasks.title')} <span class="badge" aria-hidden="true">${n}</span><span class="visually-hidden">: ${t('tasks.reminders', { n })}</span></summary><ul>${this.tasks.map((task) => { const href = recordHref({ app: this.app }, task.object, task.recordId); return html`<li>${href ? html`<a href=${href} @click=${(ev: MouseEvent) => {
      // On the desktop the record opens in its panel: the contact is not left.
      if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
      ev.preventDefault();
      openRecord({ app: this.app }, task.object, task.recordId);
    }}>${task.title}</a>` : task.title} · ${fmtDateTime(task.due)}</li>`; })}</ul></details>`;
  }
}
customElements.define('caruso-task-reminders', TaskReminders);
