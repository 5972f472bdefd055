import { applyPatch, diffValues, formatReport, parseReportDefinitions, ReportCatalogue, type ReportResult } from '@caruso/monitor';

const result: ReportResult = {
  name: 'x', title: 'Queues <&> "all"', from: '2025-01-06T00:00:00.000Z', to: '2025-01-07T00:00:00.000Z',
  dimensions: ['queue'], columns: ['queue', 'offered', 'serviceLevel'], chart: 'offered',
  rows: [
    { queue: '=HYPERLINK("x")', offered: 4, serviceLevel: 0.5 },
    { queue: 'sales, "west"', offered: 2, serviceLevel: null },
  ],
};

describe('report definitions and outputs', () => {
  it('rejects bad definitions naming the report and the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'Bad Name', source: 'contacts', columns: ['offered'] }, /name must be/],
      [{ name: 'a', source: 'tickets', columns: ['offered'] }, /source must be/],
      [{ name: 'a', source: 'contacts', columns: ['offered; DROP TABLE x'] }, /column .* is not one of/],
      [{ name: 'a', source: 'contacts', groupBy: ['campaign'], columns: ['offered'] }, /not a dimension of contacts/],
      [{ name: 'a', source: 'agents', groupBy: ['reason'], columns: ['handled'] }, /cannot be grouped by reason/],
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'count', kinds: ['nonsense'] }], columns: ['n'] }, /kinds must list event kinds/],
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'sum', kinds: ['held'], field: 'data' }], columns: ['n'] }, /field must be one of/],
      [{ name: 'a', source: 'events', measures: [{ name: 'r', ratio: ['x', 'y'] }], columns: ['r'] }, /ratio names two measures/],
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'count', kinds: ['disposition'], campaignsOnly: 'yes' }], columns: ['n'] }, /campaignsOnly must be true or false/],
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'contacts', kinds: ['connected'], field: 'waitMs' }], columns: ['n'] }, /contacts takes no field/],
      // The key goes into a JSON path of the SQL: letters and digits only.
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'count', kinds: ['connected'], contactData: "x') OR 1=1 --" }], columns: ['n'] }, /contactData must be a key/],
      [{ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'count', kinds: ['connected'], contactData: 'voicemail.id' }], columns: ['n'] }, /contactData must be a key/],
      [{ name: 'a', source: 'contacts', columns: ['offered'], filters: { queue: [] } }, /non-empty list/],
      [{ name: 'a', source: 'contacts', columns: ['offered'], options: { utcOffsetMinutes: 5000 } }, /out of range/],
      [{ name: 'a', source: 'contacts', columns: ['offered'], sql: 'SELECT 1' }, /unknown field sql/],
      [[{ name: 'a', source: 'contacts', columns: ['offered'] }, { name: 'a', source: 'contacts', columns: ['offered'] }], /used twice/],
    ];
    for (const [def, message] of cases) {
      expect(() => parseReportDefinitions(def)).toThrow(message);
      expect(() => new ReportCatalogue(def)).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_INVALID_REPORT' }));
    }
    expect(() => new ReportCatalogue().get('nope')).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_UNKNOWN_REPORT' }));
    expect(parseReportDefinitions({ name: 'a', source: 'events', measures: [{ name: 'n', aggregate: 'count', kinds: ['connected'], contactData: 'voicemailId' }], columns: ['n'] })).toHaveLength(1);
  });

  it('writes CSV with quoting and neutralised formulas, and HTML with escaped text and an inline chart', () => {
    expect(formatReport(result, 'csv')).toBe('queue,offered,serviceLevel\r\n"\'=HYPERLINK(""x"")",4,0.5\r\n"sales, ""west""",2,\r\n');
    const html = formatReport(result, 'html');
    expect(html).toContain('<title>Queues &lt;&amp;&gt; &quot;all&quot;</title>');
    expect(html).toContain('<td>=HYPERLINK(&quot;x&quot;)</td>');
    // Bars proportional to the chart column: 4 → the full width (420), 2 → half.
    expect(html).toContain('width="420.0"');
    expect(html).toContain('width="210.0"');
    expect(JSON.parse(formatReport(result, 'json'))).toEqual(result);
  });

  it('patches rebuild the next value exactly and refuse prototype keys', () => {
    const a = { x: 1, agents: { anna: { state: 'ready', n: 1 }, bob: { state: 'busy' } }, list: [1, 2] };
    const b = { x: 2, agents: { anna: { state: 'paused', n: 1 }, carl: { state: 'ready' } }, list: [1, 2, 3] };
    const ops = diffValues(a, b);
    expect(applyPatch(a, ops)).toEqual(b);
    expect(ops).toContainEqual({ path: ['agents', 'anna', 'state'], value: 'paused' });
    expect(ops).toContainEqual({ path: ['agents', 'bob'] });
    expect(() => applyPatch({}, [{ path: ['__proto__', 'x'], value: 1 }])).toThrow(/bad path key/);
    expect(a.agents.anna.state).toBe('ready');
  });
});
