/**
 * The agent desktop's state on the server (docs/desktop-api.md): `GET /api/desktop` (everything the
 * page shows, so a reload or a second tab shows the same), the customer a contact is linked to, the
 * wrap-up draft, and the templates rendered for a contact. Call control is in api-desktop-calls.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChatChannel, CommunicationServer, ContactSnapshot } from '@caruso/comms';
import type { DialogueEngine } from '@caruso/dialogue';
import type { BusinessObjects } from '@caruso/objects';
import type { Logger } from '@caruso/kernel';
import type { Application } from './common/application.js';
import type { DeskContact, DeskOffer, DeskSessionView, DesktopState, DeskTemplates, DeskWrapUp } from './common/desktop-types.js';
import { PLACEHOLDER } from './application-reader.js';
import { contactAddress } from './api-callbacks.js';
import { contactVariables } from './api-desktop.js';
import { FrontOfficeErrors } from './errors.js';
import type { AgentPresence } from './internal/agent-presence.js';
import { DESK_CUSTOMER, DESK_TEMPLATES, DESKTOP_STATE } from './internal/desk-schemas.js';
import { body, need, str } from './internal/http.js';
import { bodyOf, closed, errors, params, routeSchema, text } from './internal/route-schemas.js';
import { cluesOf, deskCustomer, readCustomer, recordKey, screenPopOf, soleMatch, type ContactClues } from './internal/screen-pop.js';
import { sessionView } from './internal/script-sessions.js';
import type { Principal } from './internal/sessions.js';
import type { Permissions } from './permissions.js';
import type { FrontOfficeStore } from './user-store.js';

const AGENT = ['agent'] as const;

export interface DesktopStateDeps {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  readonly store: FrontOfficeStore;
  readonly comms: () => CommunicationServer;
  readonly dialogue: () => DialogueEngine;
  readonly presence: AgentPresence;
  readonly logger: Logger;
  readonly channels?: () => { readonly chat: boolean; readonly email: boolean };
  readonly chat?: () => ChatChannel | undefined;
}

/** How a contact belongs to an agent: connected to them, ringing for them, or in their wrap-up. */
export type Ownership = 'connected' | 'offered' | 'wrap-up';

/** The agent id of a principal of the desktop (403 without one). */
export function deskAgent(p: Principal): string {
  if (!p.agentId) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: 'use the agent desktop without an agent id' });
  return p.agentId;
}

/**
 * The desk views of the agents: contacts, offers and wrap-ups as the page shows them. Remembers the
 * address of the contacts it showed, so a wrap-up (whose contact has ended) still shows it.
 */
export class DeskViews {
  private readonly addresses = new Map<string, string>();

  constructor(private readonly deps: DesktopStateDeps) {}

  /** The contact `id` when it is the agent's (connected, offered or in wrap-up); 404 otherwise. */
  own(agentId: string, id: string, allowed: readonly Ownership[] = ['connected', 'offered', 'wrap-up']): { contact: ContactSnapshot | undefined; how: Ownership } {
    const comms = this.deps.comms();
    const contact = comms.contact(id);
    const how: Ownership | undefined =
      contact?.state === 'connected' && (contact.agentIds.includes(agentId) || (contact.conferees ?? []).includes(agentId))
        ? 'connected'
        : comms.pendingOffers(agentId).some((o) => o.contactId === id)
          ? 'offered'
          : comms.agentWork(agentId).wrapUps.some((w) => w.contactId === id)
            ? 'wrap-up'
            : undefined;
    if (!how || !allowed.includes(how)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'contact' });
    return { contact, how };
  }

  private remember(c: ContactSnapshot): string | null {
    const address = contactAddress(c);
    if (address === undefined) return null;
    if (this.addresses.size > 5_000) this.addresses.delete(this.addresses.keys().next().value as string);
    this.addresses.set(c.id, address);
    return address;
  }

  async contact(c: ContactSnapshot, p: Principal): Promise<DeskContact> {
    const { deps } = this;
    const owned = await deps.store.contactScriptSession(c.id, `user:${p.name}`);
    let script: DeskContact['script'] = null;
    if (owned) {
      try {
        script = { sessionId: owned.sessionId, view: sessionView(await deps.dialogue().resume(owned.sessionId)) as unknown as DeskSessionView };
      } catch (err) {
        deps.logger.debug({ code: (err as { code?: string }).code }, 'a contact\'s script session could not be read');
      }
    }
    let handoff: DeskContact['handoff'] = null;
    const h = c.channel === 'chat' ? await deps.store.chatHandoff(c.id) : undefined;
    if (h) handoff = { selfService: h.selfService, answers: await deps.dialogue().state(h.scriptSession).then((st) => st.vars, () => ({})) };
    // The screen pop finds the customer by the address, or by what a script collected (the IVR's
    // variables on the contact, the self-service visitor's answers of a chat hand-off).
    const clues = cluesOf(c, contactVariables(handoff ? { ...c, data: { ...c.data, answers: handoff.answers } } : c));
    return {
      id: c.id,
      channel: c.channel,
      direction: c.direction,
      queueId: c.queueId,
      state: c.state,
      enteredAt: c.enteredAt,
      address: this.remember(c),
      data: c.data,
      customer: await deskCustomer(deps, p.role, c.customer),
      held: c.held === true,
      muted: c.muted === true,
      conferees: [...(c.conferees ?? [])],
      consult: c.consult ? { party: 'agentId' in c.consult.party ? { agentId: c.consult.party.agentId } : { number: c.consult.party.number }, answered: c.consult.answered } : null,
      script,
      screenPop: (await screenPopOf(deps, p.role, c, clues)) ?? null,
      handoff,
    };
  }

  /** The contact as it is now for its agent, or null once it is no longer connected to them. */
  async contactNow(id: string, p: Principal): Promise<DeskContact | null> {
    const c = this.deps.comms().contact(id);
    return c && c.state === 'connected' && p.agentId !== undefined && (c.agentIds.includes(p.agentId) || (c.conferees ?? []).includes(p.agentId)) ? this.contact(c, p) : null;
  }

  async state(p: Principal): Promise<DesktopState> {
    const { deps } = this;
    const agentId = deskAgent(p);
    const comms = deps.comms();
    const work = comms.agentWork(agentId);
    const q = comms.agentQueues(agentId);
    const offers: DeskOffer[] = [];
    for (const o of work.offers) {
      const c = comms.contact(o.contactId);
      offers.push({ offerId: o.offerId, contactId: o.contactId, channel: o.channel, queueId: o.queueId, ringTimeoutMs: o.ringTimeoutMs, address: c ? this.remember(c) : null, customer: await deskCustomer(deps, p.role, comms.customerOf(o.contactId)) });
    }
    const contacts: DeskContact[] = [];
    for (const c of work.contacts) contacts.push(await this.contact(c, p));
    const wrapUps: DeskWrapUp[] = [];
    for (const w of work.wrapUps) {
      const c = comms.contact(w.contactId);
      wrapUps.push({
        contactId: w.contactId,
        channel: w.channel,
        queueId: w.queueId,
        startedAt: w.startedAt,
        address: c ? this.remember(c) : (this.addresses.get(w.contactId) ?? null),
        customer: await deskCustomer(deps, p.role, comms.customerOf(w.contactId)),
        draft: (await deps.store.wrapUpDraft(w.contactId, agentId)) ?? null,
      });
    }
    const a = work.agent;
    return {
      at: comms.now(),
      agent: { id: a.id, state: a.state, ...(a.pauseReason !== undefined ? { pauseReason: a.pauseReason } : {}), contactIds: [...a.contactIds], queueIds: [...a.queueIds], noAnswerCount: a.noAnswerCount },
      offers,
      queues: { selected: q.selected.map((s) => ({ queue: s.queue, level: s.level })), allowed: [...q.allowed] },
      pauseReasons: deps.app.desktop.pauseReasons,
      wrapUpCodes: deps.app.desktop.wrapUpCodes,
      channels: deps.channels?.() ?? { chat: false, email: false },
      contacts,
      wrapUps,
      templates: {
        cannedReplies: (deps.app.desktop.cannedReplies ?? []).map((t) => ({ id: t.id, label: t.label })),
        emailTemplates: (deps.app.desktop.emailTemplates ?? []).map((t) => ({ id: t.id, label: t.label })),
      },
      presence: { heartbeatMs: deps.presence.heartbeatMs, disconnectGraceMs: deps.presence.disconnectGraceMs },
    };
  }

  /** The agents whose desk shows a contact (its agents and conferees). */
  agentsOf(contactId: string, also: readonly string[] = []): Set<string> {
    const c = this.deps.comms().contact(contactId);
    return new Set([...also, ...(c?.agentIds ?? []), ...(c?.conferees ?? [])]);
  }
}

/**
 * What a contact brings to find its customer: its address, its own variables (an IVR's) and, for a
 * chat handed off from self-service, the visitor's answers (kept with its script session).
 */
export async function contactClues(deps: Partial<Pick<DesktopStateDeps, 'store' | 'dialogue'>>, c: ContactSnapshot): Promise<ContactClues> {
  const h = c.channel === 'chat' && deps.store ? await deps.store.chatHandoff(c.id) : undefined;
  const answers = h && deps.dialogue ? await deps.dialogue().state(h.scriptSession).then((st) => st.vars, () => undefined) : undefined;
  return cluesOf(c, contactVariables(answers ? { ...c, data: { ...c.data, answers } } : c));
}

/**
 * Links a contact to its customer when it connects and the application's screen pops find exactly
 * one record for its address or collected variables, unless the contact has a customer already.
 * With `store` and `dialogue` a self-service chat's answers count too. Resolves when done; never
 * rejects (a failed look-up leaves the contact unlinked and is logged).
 */
export async function autoLink(
  deps: Pick<DesktopStateDeps, 'app' | 'objects' | 'permissions' | 'comms' | 'logger'> & Partial<Pick<DesktopStateDeps, 'store' | 'dialogue'>>,
  contactId: string,
): Promise<boolean> {
  try {
    const comms = deps.comms();
    const c = comms.contact(contactId);
    if (!c || c.customer || comms.customerOf(contactId)) return false;
    const match = await soleMatch(deps, c, await contactClues(deps, c));
    if (!match) return false;
    // Checked again: the agent may have linked one meanwhile.
    if (comms.customerOf(contactId) || !comms.contact(contactId)) return false;
    await comms.setCustomer(contactId, match);
    return true;
  } catch (err) {
    deps.logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'contact not linked to its customer automatically');
    return false;
  }
}

/** Fills `{{name}}`: a field of the record (as the role sees it), else a contact variable; unknown names become empty. */
function render(template: string, record: Readonly<Record<string, unknown>>, vars: Readonly<Record<string, unknown>>): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const short = name.startsWith('customer.') ? name.slice('customer.'.length) : name;
    const v = record[short] ?? (name.includes('.') ? undefined : vars[name]);
    return v === undefined || v === null ? '' : String(v);
  });
}

export function registerDesktopStateApi(fastify: FastifyInstance, deps: DesktopStateDeps, views: DeskViews): void {
  const { app } = deps;
  const contactId = (req: FastifyRequest): string => str((req.params as { id: string }).id, 'contact', 128);

  fastify.get('/api/desktop', {
    schema: routeSchema('Everything the agent desktop shows: the agent, offers, connected contacts (customer, call state, script session, screen pop), wrap-ups with their drafts, templates and the presence timers', AGENT, {
      response: { 200: { description: 'the desktop state', ...DESKTOP_STATE }, ...errors([404, 'the agent is unknown to the communication server'], 503) },
    }),
  }, async (req) => views.state(need(req, AGENT, 'use the agent desktop')));

  fastify.put('/api/contacts/:id/customer', {
    schema: routeSchema('Link the contact (connected, offered or in wrap-up) to a customer record: its wrap-up and interaction record go there', AGENT, {
      params: params(['id']),
      body: bodyOf({ object: text(100), recordId: { type: ['string', 'number'], maxLength: 200 } }, ['object', 'recordId']),
      response: { 200: { description: 'the customer linked', ...closed({ customer: DESK_CUSTOMER }) }, ...errors([404, 'no such contact of this agent, object for this role or record'], 503) },
    }),
  }, async (req) => {
    const p = need(req, AGENT, 'link contacts to customers');
    const agentId = deskAgent(p);
    const id = contactId(req);
    const b = body(req, ['object', 'recordId']);
    const object = str(b['object'], 'object', 100);
    if (typeof b['recordId'] !== 'string' && !(typeof b['recordId'] === 'number' && Number.isSafeInteger(b['recordId']))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'recordId must be text or a whole number' });
    const recordId = String(b['recordId']);
    if (recordId === '' || recordId.length > 200) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'recordId must be 1 to 200 characters' });
    views.own(agentId, id);
    const rights = deps.permissions.on(p.role, object);
    if (!rights?.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object.slice(0, 100)}` });
    if (recordKey(rights, recordId) === undefined || !(await readCustomer(deps, p.role, { object, id: recordId }))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${object} ${recordId.slice(0, 100)}` });
    await deps.comms().setCustomer(id, { object, id: recordId });
    deps.presence.desktopChanged(views.agentsOf(id, [agentId]));
    return { customer: await deskCustomer(deps, p.role, { object, id: recordId }) };
  });

  fastify.delete('/api/contacts/:id/customer', {
    schema: routeSchema('Unlink the contact from its customer', AGENT, {
      params: params(['id']),
      response: { 200: { description: 'unlinked', ...closed({ customer: { type: 'null' } }) }, ...errors([404, 'no such contact of this agent'], 503) },
    }),
  }, async (req) => {
    const p = need(req, AGENT, 'link contacts to customers');
    const agentId = deskAgent(p);
    const id = contactId(req);
    views.own(agentId, id);
    await deps.comms().setCustomer(id, undefined);
    deps.presence.desktopChanged(views.agentsOf(id, [agentId]));
    return { customer: null };
  });

  fastify.put('/api/contacts/:id/wrap-up-draft', {
    schema: routeSchema('Keep what the agent typed for a contact\'s wrap-up (shown again after a reload; gone once the wrap-up is filed)', AGENT, {
      params: params(['id']),
      body: bodyOf({ code: text(64), notes: text(2000) }),
      response: { 200: { description: 'kept', ...closed({ ok: { const: true } }) }, ...errors([404, 'no such contact of this agent (connected or in wrap-up)'], 503) },
    }),
  }, async (req) => {
    const p = need(req, AGENT, 'wrap up contacts');
    const agentId = deskAgent(p);
    const id = contactId(req);
    const b = body(req, ['code', 'notes']);
    const code = b['code'] === undefined ? undefined : str(b['code'], 'code', 64);
    const notes = b['notes'] === undefined ? undefined : str(b['notes'], 'notes', 2000);
    if (code !== undefined && code !== '' && !app.desktop.wrapUpCodes.some((c) => c.code === code)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown wrap-up code ${code}; codes: ${app.desktop.wrapUpCodes.map((c) => c.code).join(', ')}` });
    views.own(agentId, id, ['connected', 'wrap-up']);
    await deps.store.saveWrapUpDraft(id, agentId, { ...(code !== undefined && code !== '' ? { code } : {}), ...(notes !== undefined ? { notes } : {}) });
    deps.presence.desktopChanged([agentId]);
    return { ok: true };
  });

  fastify.get('/api/contacts/:id/templates', {
    schema: routeSchema('The canned replies and e-mail templates of the application, filled with the contact\'s linked customer record and variables', AGENT, {
      params: params(['id']),
      response: { 200: { description: 'the templates rendered', ...DESK_TEMPLATES }, ...errors([404, 'no such contact of this agent'], 503) },
    }),
  }, async (req): Promise<DeskTemplates> => {
    const p = need(req, AGENT, 'use templates');
    const agentId = deskAgent(p);
    const id = contactId(req);
    const { contact } = views.own(agentId, id);
    const ref = deps.comms().customerOf(id) ?? contact?.customer;
    const record = ref ? ((await readCustomer(deps, p.role, ref).catch(() => undefined)) ?? {}) : {};
    const vars = contact ? contactVariables(contact) : {};
    return {
      cannedReplies: (app.desktop.cannedReplies ?? []).map((t) => ({ id: t.id, label: t.label, text: render(t.text, record, vars) })),
      emailTemplates: (app.desktop.emailTemplates ?? []).map((t) => ({ id: t.id, label: t.label, subject: render(t.subject, record, vars).replace(/[\r\n]+/g, ' '), body: render(t.body, record, vars) })),
    };
  });
}
