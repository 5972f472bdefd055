import { ContactEventLog } from '@caruso/comms';
import type { ServiceInfo } from '@caruso/kernel';
import { MonitorErrors } from './errors.js';
import type { AgentFigures, CampaignFigures, LiveFigures, QueueFigures } from './live-figures.js';

/** What an alert watches: a figure of each queue, agent, service or campaign (or of the center). */
export type AlertMetric =
  | 'queue.longestWaitSeconds'
  | 'queue.waiting'
  | 'queue.serviceLevel'
  | 'queue.serviceLevelOfOffered'
  | 'queue.serviceLevelExcludingShortAbandons'
  | 'queue.abandonRate'
  | 'queue.asaSeconds'
  | 'center.longestWaitSeconds'
  | 'center.waiting'
  | 'center.serviceLevel'
  | 'center.occupancy'
  | 'center.agentsReady'
  | 'agent.pausedSeconds'
  | 'agent.stateSeconds'
  | 'agent.ringNoAnswer'
  | 'service.unhealthy'
  | 'service.errors'
  | 'campaign.dropRate';

/** Every alert metric. */
export const ALERT_METRICS: readonly AlertMetric[] = [
  'queue.longestWaitSeconds', 'queue.waiting', 'queue.serviceLevel', 'queue.serviceLevelOfOffered', 'queue.serviceLevelExcludingShortAbandons',
  'queue.abandonRate', 'queue.asaSeconds', 'center.longestWaitSeconds', 'center.waiting', 'center.serviceLevel', 'center.occupancy',
  'center.agentsReady', 'agent.pausedSeconds', 'agent.stateSeconds', 'agent.ringNoAnswer', 'service.unhealthy', 'service.errors', 'campaign.dropRate',
];

/** A comparison of an alert condition. */
export type AlertComparison = '>' | '>=' | '<' | '<=' | '=' | '!=';

/**
 * A threshold condition, declared (JSON in the assembly or an alerts file), never coded.
 * @example { "id": "long-wait", "metric": "queue.longestWaitSeconds", "comparison": ">", "value": 60 }
 * @example { "id": "long-break", "metric": "agent.pausedSeconds", "comparison": ">", "value": 900, "severity": "info" }
 */
export interface AlertDefinition {
  /** Stable id, e.g. `long-wait`. */
  readonly id: string;
  readonly metric: AlertMetric;
  readonly comparison: AlertComparison;
  readonly value: number;
  /** The condition must hold this long before the alert is raised (default 0). */
  readonly forSeconds?: number;
  /** Only this queue, agent, service token id or campaign (default: each of them). */
  readonly subject?: string;
  /** Default `warning`. */
  readonly severity?: 'info' | 'warning' | 'critical';
  /**
   * A sentence for the wallboard; `{subject}` and `{value}` are filled in, and for service metrics
   * `{detail}` (the service's health detail).
   */
  readonly message?: string;
}

/**
 * Alerts every monitor raises without being told. A declared definition with the same id replaces
 * one (to change its severity or add `forSeconds`).
 * - `event-log-failing` (critical): the contact event log service is not `ok`: its writes fail, or
 *   it lost its writer lease to another process. Changes are not acknowledged meanwhile. The message
 *   carries the service's health detail. It clears when the log writes again.
 */
export const BUILT_IN_ALERTS: readonly AlertDefinition[] = [
  {
    id: 'event-log-failing',
    metric: 'service.unhealthy',
    subject: ContactEventLog.id,
    comparison: '>=',
    value: 1,
    severity: 'critical',
    message: 'the contact event log cannot write, changes are not acknowledged: {detail}',
  },
];

/** A raised alert. */
export interface Alert {
  /** `<definition id>:<subject>`. */
  readonly key: string;
  readonly id: string;
  readonly metric: AlertMetric;
  /** The queue, agent, service or campaign it is about (`center` for center metrics). */
  readonly subject: string;
  readonly severity: 'info' | 'warning' | 'critical';
  /** The value that crossed the threshold. */
  readonly value: number;
  readonly comparison: AlertComparison;
  readonly threshold: number;
  readonly message: string;
  /** Since when the condition holds. */
  readonly since: number;
  readonly raisedAt: number;
}

/** An alert raised or cleared. */
export interface AlertChange {
  readonly type: 'raised' | 'cleared';
  readonly alert: Alert;
  /** When it happened. */
  readonly at: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const COMPARISONS: readonly AlertComparison[] = ['>', '>=', '<', '<=', '=', '!='];
const FIELDS = new Set(['id', 'metric', 'comparison', 'value', 'forSeconds', 'subject', 'severity', 'message']);

/**
 * Validates alert definitions (parsed JSON). Throws CARUSO_MONITOR_INVALID_ALERT naming the
 * definition and the field; nothing is half-accepted.
 */
export function parseAlertDefinitions(input: unknown): AlertDefinition[] {
  if (!Array.isArray(input)) throw MonitorErrors.CARUSO_MONITOR_INVALID_ALERT({ alert: '(list)', reason: 'alert definitions are a JSON array' });
  const seen = new Set<string>();
  return input.map((raw, i) => {
    const name = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : `#${i + 1}`;
    const bad = (reason: string): never => {
      throw MonitorErrors.CARUSO_MONITOR_INVALID_ALERT({ alert: name, reason });
    };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('an alert definition is an object');
    const d = raw as Record<string, unknown>;
    for (const k of Object.keys(d)) if (!FIELDS.has(k)) bad(`unknown field ${k}`);
    if (typeof d['id'] !== 'string' || !ID.test(d['id'])) bad('id must be 1 to 64 letters, digits, _ . -');
    if (seen.has(d['id'] as string)) bad('the id is used twice');
    seen.add(d['id'] as string);
    if (!ALERT_METRICS.includes(d['metric'] as AlertMetric)) bad(`metric must be one of ${ALERT_METRICS.join(', ')}`);
    if (!COMPARISONS.includes(d['comparison'] as AlertComparison)) bad(`comparison must be one of ${COMPARISONS.join(' ')}`);
    if (typeof d['value'] !== 'number' || !Number.isFinite(d['value'])) bad('value must be a number');
    if (d['forSeconds'] !== undefined && (typeof d['forSeconds'] !== 'number' || !(d['forSeconds'] >= 0))) bad('forSeconds must be a number ≥ 0');
    if (d['subject'] !== undefined && (typeof d['subject'] !== 'string' || d['subject'].length === 0)) bad('subject must be a non-empty string');
    if (d['severity'] !== undefined && !['info', 'warning', 'critical'].includes(d['severity'] as string)) bad('severity must be info, warning or critical');
    if (d['message'] !== undefined && (typeof d['message'] !== 'string' || d['message'].length > 500)) bad('message must be a string of at most 500 characters');
    return d as unknown as AlertDefinition;
  });
}

function compare(a: number, op: AlertComparison, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '=': return a === b;
    case '!=': return a !== b;
  }
}

/** What the evaluator reads. */
export interface AlertInputs {
  readonly live: LiveFigures;
  readonly services: readonly ServiceInfo[];
  readonly campaigns: Readonly<Record<string, CampaignFigures>>;
}

function subjects(metric: AlertMetric, inputs: AlertInputs, now: number): Array<[string, number | undefined, string?]> {
  const [area] = metric.split('.') as [string];
  const out: Array<[string, number | undefined, string?]> = [];
  const sec = (since: number | null): number => (since === null ? 0 : Math.max(0, now - since) / 1000);
  if (area === 'queue') {
    for (const q of inputs.live.queueIds()) {
      const v: QueueFigures = inputs.live.queueValue(q);
      const t = v.today;
      const value =
        metric === 'queue.longestWaitSeconds' ? sec(v.longestWaitSince)
        : metric === 'queue.waiting' ? v.waiting.length
        : metric === 'queue.serviceLevel' ? (t.answered > 0 ? t.serviceLevel.ofAnswered : undefined)
        : metric === 'queue.serviceLevelOfOffered' ? (t.answered + t.abandoned + t.exited > 0 ? t.serviceLevel.ofOffered : undefined)
        : metric === 'queue.serviceLevelExcludingShortAbandons' ? (t.answered + t.abandoned - t.shortAbandons > 0 ? t.serviceLevel.excludingShortAbandons : undefined)
        : metric === 'queue.abandonRate' ? (t.offered > 0 ? t.abandonRate : undefined)
        : t.answered > 0 ? t.asaSeconds : undefined;
      out.push([q, value]);
    }
  } else if (area === 'center') {
    const c = inputs.live.centerValue();
    const value =
      metric === 'center.longestWaitSeconds' ? sec(c.longestWaitSince)
      : metric === 'center.waiting' ? c.waiting
      : metric === 'center.serviceLevel' ? (c.today.answered > 0 ? c.today.serviceLevel.ofAnswered : undefined)
      : metric === 'center.occupancy' ? c.today.occupancy
      : c.agents.ready;
    out.push(['center', value]);
  } else if (area === 'agent') {
    for (const id of inputs.live.agentIds()) {
      const a = inputs.live.value(`agent:${id}`) as AgentFigures;
      const value =
        metric === 'agent.pausedSeconds' ? (a.state === 'paused' ? sec(a.since) : 0)
        : metric === 'agent.stateSeconds' ? (a.state === 'logged-out' ? undefined : sec(a.since))
        : a.ringNoAnswerToday;
      out.push([id, value]);
    }
  } else if (area === 'service') {
    for (const s of inputs.services) {
      const value = metric === 'service.unhealthy' ? (s.state === 'failed' || (s.health !== undefined && s.health.status !== 'ok') ? 1 : 0) : s.metrics.errors;
      out.push([s.tokenId, value, s.health?.detail ?? (s.state === 'failed' ? 'failed' : s.health?.status ?? s.state)]);
    }
  } else {
    for (const [id, k] of Object.entries(inputs.campaigns)) out.push([id, k.answered > 0 ? k.dropRate : undefined]);
  }
  return out;
}

/**
 * Keeps the alerts: evaluates each definition for each subject, raises an alert once its condition
 * held for `forSeconds`, clears it when the condition stops holding.
 */
export class AlertBoard {
  private readonly holding = new Map<string, number>();
  private readonly active = new Map<string, Alert>();
  /** The definitions evaluated: the {@link BUILT_IN_ALERTS} not replaced, then the declared ones. */
  readonly definitions: readonly AlertDefinition[];

  /** @param options.builtIn false to evaluate only the declared definitions. */
  constructor(definitions: readonly AlertDefinition[], options: { readonly builtIn?: boolean } = {}) {
    this.definitions = options.builtIn === false ? definitions : [...BUILT_IN_ALERTS.filter((b) => !definitions.some((d) => d.id === b.id)), ...definitions];
  }

  /** Active alerts, oldest first. */
  alerts(): Alert[] {
    return [...this.active.values()];
  }

  /** The value of topic `alerts`. */
  value(): { active: Record<string, Alert> } {
    return { active: Object.fromEntries(this.active) };
  }

  /** Evaluates every definition at time `now`; returns what was raised or cleared. */
  evaluate(inputs: AlertInputs, now: number): AlertChange[] {
    const changes: AlertChange[] = [];
    const seen = new Set<string>();
    for (const d of this.definitions) {
      for (const [subject, value, detail] of subjects(d.metric, inputs, now)) {
        if (d.subject !== undefined && d.subject !== subject) continue;
        const key = `${d.id}:${subject}`;
        seen.add(key);
        const holds = value !== undefined && compare(value, d.comparison, d.value);
        if (!holds) {
          this.holding.delete(key);
          const a = this.active.get(key);
          if (a) {
            this.active.delete(key);
            changes.push({ type: 'cleared', alert: a, at: now });
          }
          continue;
        }
        const since = this.holding.get(key) ?? now;
        this.holding.set(key, since);
        if (this.active.has(key) || now - since < (d.forSeconds ?? 0) * 1000) continue;
        const text = (d.message ?? `${d.metric} of {subject} is {value} (${d.comparison} ${d.value})`)
          .replace(/\{subject\}/g, subject)
          .replace(/\{detail\}/g, detail ?? '')
          .replace(/\{value\}/g, String(Math.round(value! * 1000) / 1000));
        const alert: Alert = { key, id: d.id, metric: d.metric, subject, severity: d.severity ?? 'warning', value: value!, comparison: d.comparison, threshold: d.value, message: text, since, raisedAt: now };
        this.active.set(key, alert);
        changes.push({ type: 'raised', alert, at: now });
      }
    }
    // A subject that disappeared (a service unregistered) clears its alerts.
    for (const [key, a] of [...this.active]) {
      if (!seen.has(key)) {
        this.active.delete(key);
        this.holding.delete(key);
        changes.push({ type: 'cleared', alert: a, at: now });
      }
    }
    return changes;
  }
}
