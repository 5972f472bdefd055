// examples/utility's own assembly grown to N agents for the whole-system benchmark and its smoke test:
// every agent a desktop user with a SIP phone account on Caruso's registrar, the queues open around
// the clock (a run is not bound to the company's office hours), the demo data loaded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigration, BusinessObjectsImpl, loadModelFile } from '@caruso/objects';
import type { StorageManager } from '@caruso/storage';
import { readAssembly, type Assembly, type AssemblyAgent } from '../../../tools/cli/src/assembly/assembly-file.js';
import { generateDemoData, loadDemoData, seedLegacyBilling, type DemoData } from '../src/index.js';
import type { SystemLoadOptions } from '../src/system-load/system-load.js';

/** An agent of the run: desktop user, agent id, phone account. */
export interface SystemAgent {
  readonly user: string;
  readonly password: string;
  readonly agentId: string;
  readonly phoneUser: string;
  readonly phonePassword: string;
}

/** `n` agents sharing one password (the run's secret). */
export function systemAgents(n: number, password: string): SystemAgent[] {
  return Array.from({ length: n }, (_, i) => {
    const k = String(i + 1).padStart(4, '0');
    return { user: `agent${k}`, password, agentId: `agent-${k}`, phoneUser: `phone${k}`, phonePassword: password };
  });
}

/**
 * The agents' desks: every agent serves the general queue; a third also billing (with the billing
 * skill), a third also the moves desk.
 */
function agentOf(a: SystemAgent, i: number): AssemblyAgent {
  const extra = i % 3 === 0 ? 'billing' : i % 3 === 1 ? 'moves' : undefined;
  return {
    id: a.agentId,
    user: a.user,
    skills: { dutch: 3, ...(extra ? { [extra]: 1 } : {}) },
    queues: [{ queueId: 'general', level: 1 }, ...(extra ? [{ queueId: extra, level: 2 }] : [])],
    chats: 1,
    emails: 1,
    attributes: {},
  };
}

/** The demo customers as the load generator needs them. */
export function loadCustomers(data: DemoData): SystemLoadOptions['customers'] {
  return data.customers
    .filter((c) => typeof c['phone'] === 'string' && typeof c['email'] === 'string' && c['email'] !== '')
    .map((c) => ({ phone: String(c['phone']), email: String(c['email']), customerNumber: String(c['customerNumber']), name: `${String(c['initials'])} ${String(c['lastName'])}` }));
}

/** What {@link systemAssembly} needs besides the agents. */
export interface SystemAssemblyOptions {
  /** examples/utility's folder. */
  readonly root: string;
  /** The run's folder (data, legacy billing database, outbox). */
  readonly dir: string;
  readonly storage: StorageManager;
  readonly customers: number;
  /** Read by the assembly file: CARUSO_DB_URL, ports, UTILITY_SUPERVISOR_PASSWORD … */
  readonly env: Readonly<Record<string, string>>;
  readonly agents: readonly SystemAgent[];
  readonly rtpPorts: { readonly min: number; readonly max: number };
}

/**
 * Loads the demo data into `storage` (model migrated, legacy billing seeded in `dir`) and returns
 * examples/utility's assembly with the run's agents, users and phones, queues always open, data in `dir`.
 */
export async function systemAssembly(o: SystemAssemblyOptions): Promise<{ assembly: Assembly; data: DemoData }> {
  const data = generateDemoData({ customers: o.customers, seed: 17 });
  const billingDb = join(o.dir, 'legacy-billing.db');
  await seedLegacyBilling({ database: billingDb, schemaSql: readFileSync(join(o.root, 'legacy-billing/schema.sql'), 'utf8'), model: loadModelFile(join(o.root, 'model/legacy-billing.model.xml')), data: data.billing });
  const model = loadModelFile(join(o.root, 'model/utility.model.xml'));
  await applyMigration(model, o.storage);
  await loadDemoData(new BusinessObjectsImpl(model, o.storage), data);
  const read = readAssembly(join(o.root, 'assembly.xml'), o.env);
  const errors = read.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !read.assembly) throw new Error(`the assembly file has errors:\n${errors.join('\n')}`);
  const a = read.assembly;
  if (!a.sip) throw new Error('examples/utility/assembly.xml no longer has <sip>');
  const assembly: Assembly = {
    ...a,
    dataDir: o.dir,
    // Open around the clock: the run measures the system, not the company's office hours.
    queues: a.queues.map(({ hours: _closed, ...q }) => q),
    agents: o.agents.map(agentOf),
    users: [...a.users.filter((u) => u.role !== 'agent'), ...o.agents.map((g) => ({ name: g.user, role: 'agent' as const, password: g.password, agent: g.agentId }))],
    sip: { ...a.sip, rtpPorts: o.rtpPorts, phones: o.agents.map((g) => ({ user: g.phoneUser, password: g.phonePassword, agent: g.agentId })) },
    campaigns: [],
    services: a.services
      .filter((s) => s.token !== 'utility.DemoLoad')
      .map((s) =>
        s.token === 'billing.Invoices'
          ? { ...s, config: { ...s.config, database: billingDb } }
          : s.token === 'caruso.comms.OutboundMail'
            ? { ...s, config: { ...s.config, folder: join(o.dir, 'outbox') } }
            : s,
      ),
  };
  return { assembly, data };
}
