import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModelFile } from '@caruso/objects';
import { readApplication, readApplicationFile } from '@caruso/frontoffice';
import { crmModel, fixtureText } from './fixture.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The fixture application with `extra` before its end. */
function app(extra: string): string {
  return fixtureText('crm.app.xml').replace('</application>', `${extra}\n</application>`);
}

describe('<followup> rules of the application definition', () => {
  it('reads a rule: its condition parsed by the kernel\'s expression language, its delay, title and assignee', () => {
    const r = readApplication(app(`<followup name="welcome" object="Customer" when="segment == 'business'" after="P1DT2H" title="Call {{lastName}}" kind="call" queue="support"/>`), 'app.xml', { model: crmModel() });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
    expect(r.application?.followUps).toEqual([expect.objectContaining({ name: 'welcome', object: 'Customer', afterMs: 26 * 3_600_000, title: 'Call {{lastName}}', kind: 'call', queue: 'support', when: expect.objectContaining({ source: "segment == 'business'" }) })]);
  });

  it.each([
    [`<followup object="Customer" when="segment = 'business'" after="P7D" title="x" queue="support"/>`, /:\d+:\d+: error: when: /],
    [`<followup object="Customer" when="colour == 'red'" after="P7D" title="x" queue="support"/>`, /Customer has no field colour/],
    [`<followup object="Customer" when="segment == 'business'" after="7 days" title="x" queue="support"/>`, /after must be an ISO 8601 duration/],
    [`<followup object="Customer" when="segment == 'business'" after="P1M" title="x" queue="support"/>`, /after must be an ISO 8601 duration/],
    [`<followup object="Customer" when="segment == 'business'" after="P7D" title="{{shoeSize}}" queue="support"/>`, /Customer has no field shoeSize/],
    [`<followup object="Customer" when="segment == 'business'" after="P7D" title="x"/>`, /either queue="…" or user="…"/],
    [`<followup object="Customer" when="segment == 'business'" after="P7D" title="x" kind="visit" queue="support"/>`, /kind is todo or call/],
    [`<followup object="Nothing" when="a == 1" after="P7D" title="x" queue="support"/>`, /Nothing/],
  ])('refuses %s with file:line:col', (xml, message) => {
    const r = readApplication(app(xml), 'app.xml', { model: crmModel() });
    expect(r.application).toBeUndefined();
    const errors = r.diagnostics.filter((d) => d.severity === 'error').map(String);
    expect(errors.some((e) => message.test(e) && /^app\.xml:\d+:\d+: /.test(e))).toBe(true);
  });

  it('reads the utility example\'s follow-up call a week after a complaint is closed', () => {
    const model = loadModelFile(join(repo, 'examples/utility/model/utility.model.xml'));
    const r = readApplicationFile(join(repo, 'examples/utility/app/utility.app.xml'), { model });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
    expect(r.application?.followUps).toEqual([expect.objectContaining({ object: 'Complaint', kind: 'call', afterMs: 7 * 86_400_000, queue: 'general' })]);
  });
});
