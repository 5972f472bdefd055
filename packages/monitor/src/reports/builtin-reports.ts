import { CONTACT_COLUMNS, AGENT_COLUMNS, type ReportDefinition } from './report-definition.js';

const INBOUND = [...CONTACT_COLUMNS];

/** The reports every installation has; a company adds its own definitions next to them. */
export const BUILTIN_REPORTS: readonly ReportDefinition[] = [
  { name: 'inbound', title: 'Inbound contacts', source: 'contacts', columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-hour', title: 'Inbound contacts by hour of day', source: 'contacts', groupBy: ['hour'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-day', title: 'Inbound contacts by day', source: 'contacts', groupBy: ['day'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-weekday', title: 'Inbound contacts by weekday', source: 'contacts', groupBy: ['weekday'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-queue', title: 'Inbound contacts by queue', source: 'contacts', groupBy: ['queue'], columns: INBOUND, chart: 'serviceLevel' },
  { name: 'agents', title: 'Agent availability and performance', source: 'agents', groupBy: ['agent'], columns: [...AGENT_COLUMNS], chart: 'occupancy' },
  { name: 'pauses', title: 'Paused time by agent and reason', source: 'agents', groupBy: ['agent', 'reason'], columns: ['pausedSeconds'], filters: { state: ['paused'] } },
  {
    name: 'voicemail',
    title: 'Voicemail',
    source: 'events',
    groupBy: ['queue'],
    measures: [
      { name: 'messages', aggregate: 'count', kinds: ['voicemail-left'] },
      { name: 'avgDurationSeconds', aggregate: 'avg', kinds: ['voicemail-left'], field: 'talkMs' },
      { name: 'notified', aggregate: 'count', kinds: ['voicemail-notified'] },
      { name: 'calledBack', aggregate: 'count', kinds: ['callback-completed'], reasons: ['voicemail'] },
      { name: 'avgTimeToCallBackSeconds', aggregate: 'avg', kinds: ['callback-completed'], reasons: ['voicemail'], field: 'waitMs' },
    ],
    columns: ['messages', 'avgDurationSeconds', 'notified', 'calledBack', 'avgTimeToCallBackSeconds'],
  },
  {
    name: 'callbacks',
    title: 'Callbacks',
    source: 'events',
    groupBy: ['queue'],
    measures: [
      { name: 'scheduled', aggregate: 'count', kinds: ['callback-scheduled'] },
      { name: 'attempts', aggregate: 'count', kinds: ['callback-attempted'] },
      { name: 'completed', aggregate: 'count', kinds: ['callback-completed'] },
      { name: 'completionRate', ratio: ['completed', 'scheduled'] },
      { name: 'avgTimeToCallBackSeconds', aggregate: 'avg', kinds: ['callback-completed'], field: 'waitMs' },
    ],
    columns: ['scheduled', 'attempts', 'completed', 'completionRate', 'avgTimeToCallBackSeconds'],
  },
  {
    name: 'campaigns',
    title: 'Outbound campaigns',
    source: 'events',
    groupBy: ['campaign'],
    measures: [
      { name: 'attempts', aggregate: 'count', kinds: ['dial-attempt'] },
      { name: 'contactsMade', aggregate: 'count', kinds: ['dial-result'], reasons: ['answered'] },
      { name: 'drops', aggregate: 'count', kinds: ['dial-drop'] },
      { name: 'dropRate', ratio: ['drops', 'contactsMade'] },
      { name: 'contactRate', ratio: ['contactsMade', 'attempts'] },
    ],
    columns: ['attempts', 'contactsMade', 'drops', 'dropRate', 'contactRate'],
    chart: 'dropRate',
  },
  {
    name: 'campaign-results',
    title: 'Dial results by campaign',
    source: 'events',
    groupBy: ['campaign', 'reason'],
    measures: [{ name: 'results', aggregate: 'count', kinds: ['dial-result'] }],
    columns: ['results'],
  },
  {
    name: 'dispositions',
    title: 'Dispositions',
    source: 'events',
    groupBy: ['reason'],
    measures: [{ name: 'contacts', aggregate: 'count', kinds: ['disposition'] }],
    columns: ['contacts'],
  },
];
