import { CONTACT_COLUMNS, AGENT_COLUMNS, SESSION_COLUMNS, type ReportDefinition } from './report-definition.js';

const INBOUND = [...CONTACT_COLUMNS];

/** The reports every installation has; a company adds its own definitions next to them. */
export const BUILTIN_REPORTS: readonly ReportDefinition[] = [
  { name: 'inbound', title: 'Inbound contacts', source: 'contacts', columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-hour', title: 'Inbound contacts by hour of day', source: 'contacts', groupBy: ['hour'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-day', title: 'Inbound contacts by day', source: 'contacts', groupBy: ['day'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-weekday', title: 'Inbound contacts by weekday', source: 'contacts', groupBy: ['weekday'], columns: INBOUND, chart: 'offered' },
  { name: 'inbound-by-queue', title: 'Inbound contacts by queue', source: 'contacts', groupBy: ['queue'], columns: INBOUND, chart: 'serviceLevel' },
  { name: 'agents', title: 'Agent availability and performance', source: 'agents', groupBy: ['agent'], columns: [...AGENT_COLUMNS], chart: 'occupancy' },
  { name: 'agents-by-hour', title: 'Agent availability and performance by hour of day', source: 'agents', groupBy: ['agent', 'hour'], columns: [...AGENT_COLUMNS], chart: 'occupancy' },
  { name: 'agents-by-day', title: 'Agent availability and performance by day', source: 'agents', groupBy: ['agent', 'day'], columns: [...AGENT_COLUMNS], chart: 'occupancy' },
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
      // The callbacks of the messages (contacts with `voicemailId`), by the queue that called back: the
      // customer reached (the channel's `callback-completed`), and the wait until an agent took it.
      { name: 'calledBack', aggregate: 'count', kinds: ['callback-completed'], reasons: ['reached'], contactData: 'voicemailId' },
      { name: 'avgTimeToCallBackSeconds', aggregate: 'avg', kinds: ['connected'], field: 'waitMs', contactData: 'voicemailId' },
    ],
    columns: ['messages', 'avgDurationSeconds', 'notified', 'calledBack', 'avgTimeToCallBackSeconds'],
  },
  {
    // The desktop's call control, by the agent who used it: holds and their time, transfers (blind and
    // attended), consultations and how they ended, conferences, mutes and manual dials.
    name: 'call-control',
    title: 'Call control by agent: holds, transfers, consultations, conferences',
    source: 'events',
    groupBy: ['agent'],
    measures: [
      { name: 'holds', aggregate: 'count', kinds: ['held'] },
      { name: 'holdSeconds', aggregate: 'sum', kinds: ['retrieved'], field: 'holdMs' },
      { name: 'avgHoldSeconds', aggregate: 'avg', kinds: ['retrieved'], field: 'holdMs' },
      { name: 'longestHoldSeconds', aggregate: 'max', kinds: ['retrieved'], field: 'holdMs' },
      { name: 'transfersOut', aggregate: 'count', kinds: ['completed'], reasons: ['transferred', 'transferred-out'] },
      { name: 'consultations', aggregate: 'count', kinds: ['consult-started'] },
      { name: 'consultTransfers', aggregate: 'count', kinds: ['consult-ended'], reasons: ['transferred'] },
      { name: 'consultsCancelled', aggregate: 'count', kinds: ['consult-ended'], reasons: ['cancelled', 'no-answer', 'busy', 'failed', 'hung-up'] },
      { name: 'conferences', aggregate: 'count', kinds: ['conferenced'], reasons: ['joined'] },
      { name: 'mutes', aggregate: 'count', kinds: ['muted'] },
      { name: 'manualDials', aggregate: 'count', kinds: ['connected'], contactData: 'manualDial' },
    ],
    columns: ['holds', 'holdSeconds', 'avgHoldSeconds', 'longestHoldSeconds', 'transfersOut', 'consultations', 'consultTransfers', 'consultsCancelled', 'conferences', 'mutes', 'manualDials'],
    chart: 'holds',
  },
  {
    // Quality management: calls answered and how many of them were recorded, by queue, and how often
    // agents paused a recording (e.g. while card details were read).
    name: 'recording',
    title: 'Recorded calls by queue',
    source: 'events',
    groupBy: ['queue'],
    filters: { channel: ['call', 'callback'] },
    measures: [
      { name: 'answered', aggregate: 'contacts', kinds: ['connected'] },
      { name: 'recorded', aggregate: 'contacts', kinds: ['recording-started'] },
      { name: 'recordedShare', ratio: ['recorded', 'answered'] },
      { name: 'pauses', aggregate: 'count', kinds: ['recording-paused'] },
    ],
    columns: ['answered', 'recorded', 'recordedShare', 'pauses'],
    chart: 'recordedShare',
  },
  {
    // Supervisors' monitoring sessions by supervisor and agent monitored, and the modes they used
    // (a session that switched from listen to whisper counts in both).
    name: 'monitoring',
    title: 'Monitoring sessions by supervisor and agent',
    source: 'events',
    groupBy: ['supervisor', 'agent'],
    measures: [
      { name: 'sessions', aggregate: 'count', kinds: ['monitoring-started'] },
      { name: 'listen', aggregate: 'count', kinds: ['monitoring-started', 'monitoring-changed'], reasons: ['listen'] },
      { name: 'whisper', aggregate: 'count', kinds: ['monitoring-started', 'monitoring-changed'], reasons: ['whisper'] },
      { name: 'barge', aggregate: 'count', kinds: ['monitoring-started', 'monitoring-changed'], reasons: ['barge'] },
    ],
    columns: ['sessions', 'listen', 'whisper', 'barge'],
    chart: 'sessions',
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
      // The wait of callback contacts (each has its `callbackNumber`) until an agent took them and the channel dialled.
      { name: 'avgTimeToCallBackSeconds', aggregate: 'avg', kinds: ['connected'], field: 'waitMs', contactData: 'callbackNumber' },
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
      { name: 'connected', aggregate: 'contacts', kinds: ['connected'], campaignsOnly: true },
      { name: 'drops', aggregate: 'count', kinds: ['dial-drop'] },
      { name: 'dropRate', ratio: ['drops', 'contactsMade'] },
      { name: 'contactRate', ratio: ['contactsMade', 'attempts'] },
      { name: 'dispositions', aggregate: 'count', kinds: ['disposition'], campaignsOnly: true },
    ],
    columns: ['attempts', 'contactsMade', 'connected', 'drops', 'dropRate', 'contactRate', 'dispositions'],
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
    name: 'campaign-dispositions',
    title: 'Dispositions of campaign calls by campaign and code',
    source: 'events',
    groupBy: ['campaign', 'reason'],
    measures: [{ name: 'dispositions', aggregate: 'count', kinds: ['disposition'], campaignsOnly: true }],
    columns: ['dispositions'],
    chart: 'dispositions',
  },
  { name: 'scripts', title: 'Dialogue-script sessions by script, version and channel', source: 'sessions', groupBy: ['script', 'version', 'channel'], columns: [...SESSION_COLUMNS], chart: 'started' },
  { name: 'script-outcomes', title: 'Outcomes of completed dialogue sessions', source: 'sessions', groupBy: ['script', 'outcome'], columns: ['completed', 'avgDurationSeconds'], filters: { status: ['completed'] }, chart: 'completed' },
  {
    name: 'script-abandons',
    title: 'Where sessions were abandoned (self-service abandon points)',
    source: 'sessions',
    groupBy: ['script', 'channel', 'node'],
    columns: ['abandoned', 'avgDurationSeconds'],
    filters: { status: ['abandoned'] },
    chart: 'abandoned',
  },
  { name: 'script-handoffs', title: 'Hand-offs of dialogue sessions to agent queues', source: 'sessions', groupBy: ['script', 'channel', 'queue'], columns: ['handedOff', 'fallbacks', 'avgDurationSeconds'], filters: { status: ['handed-off'] }, chart: 'handedOff' },
  {
    name: 'dispositions',
    title: 'Dispositions',
    source: 'events',
    groupBy: ['reason'],
    measures: [{ name: 'contacts', aggregate: 'count', kinds: ['disposition'] }],
    columns: ['contacts'],
  },
];
