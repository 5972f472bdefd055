import { silentLogger } from '@caruso/kernel';
import { queueLabels, scriptLabels } from '../src/app-labels.js';

const logger = silentLogger();
const queues = (list: readonly Record<string, unknown>[]) => () => ({ queues: () => list as never });
const scripts = (list: readonly Record<string, unknown>[]) => () => ({ scripts: () => list as never });
const none = () => {
  throw new Error('not registered');
};

describe('the labels of queues and scripts (GET /api/app)', () => {
  it('names a queue by its configured label, else the page text queue.<id> of the language, else its id', () => {
    const list = [{ queueId: 'support', label: 'Customer care' }, { queueId: 'general' }, { queueId: 'campaigns', label: '  ' }, { queueId: 'x-42' }];
    expect(queueLabels({ lang: 'en', comms: queues(list), dialogue: none, logger })).toEqual([
      { id: 'support', label: 'Customer care' },
      { id: 'general', label: 'General' },
      { id: 'campaigns', label: 'Campaigns' },
      { id: 'x-42', label: 'x-42' },
    ]);
    expect(queueLabels({ lang: 'nl', comms: queues(list), dialogue: none, logger }).map((q) => q.label)).toEqual(['Customer care', 'Algemeen', 'Campagnes', 'x-42']);
  });

  it('names a script by its title, else its id', () => {
    expect(scriptLabels({ lang: 'en', comms: none, dialogue: scripts([{ id: 'meter', title: 'Meter reading' }, { id: 'fault' }]), logger })).toEqual([
      { id: 'meter', label: 'Meter reading' },
      { id: 'fault', label: 'fault' },
    ]);
  });

  it('gives empty lists while the communication server or the dialogue engine is not there', () => {
    expect(queueLabels({ lang: 'en', comms: none, dialogue: none, logger })).toEqual([]);
    expect(scriptLabels({ lang: 'en', comms: none, dialogue: none, logger })).toEqual([]);
  });
});
