/* global document, window, WebSocket, location */
// The agent desktop as it was in assets/app.js, moved here unchanged in behaviour while the new typed
// desktop is written in ./desktop/ (its engineer deletes this file when that lands). It uses the shared
// modules for the API, the DOM helper, the texts and errors; the record form and timeline helpers
// below are its own copies.
import { api } from './shared/api.js';
import { announce, fail, h } from './shared/dom.js';
import { t } from './shared/i18n.js';

/** The page context of main.ts (who is signed in, the role's application). */
let me = null;
let appDef = null;
const main = document.getElementById('main');

/** Draws the agent desktop into #main. */
export function desktopPage(ctx) {
  me = ctx.me;
  appDef = ctx.app;
  return drawDesktop();
}

// ---- record form ----------------------------------------------------------------------------
function objectDef(name) {
  return appDef.objects.find((o) => o.name === name);
}

function input(field, value) {
  const id = `f-${field.name}`;
  let el;
  if (field.type === 'enum') el = h('select', { id, name: field.name }, h('option', { value: '', text: '' }), field.options.map((o) => h('option', { value: o.value, selected: o.value === value, text: o.label })));
  else if (field.type === 'boolean') el = h('input', { id, name: field.name, type: 'checkbox', checked: value === true });
  else el = h(field.type === 'text' ? 'textarea' : 'input', { id, name: field.name, type: field.type === 'integer' || field.type === 'decimal' ? 'number' : field.type === 'date' ? 'date' : field.type === 'email' ? 'email' : field.type === 'phone' ? 'tel' : 'text' });
  if (field.type !== 'boolean' && field.type !== 'enum') el.value = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (!field.writable) el.setAttribute('readonly', '');
  if (field.type === 'enum' && !field.writable) el.setAttribute('disabled', '');
  el.setAttribute('aria-describedby', `${id}-error`);
  return el;
}

function readInput(field, el) {
  if (field.type === 'boolean') return el.checked;
  if (el.value === '') return null;
  if (field.type === 'integer' || field.type === 'decimal') return Number(el.value);
  return el.value;
}

/** A form over `fields` of `object`; `onSaved(record)` after a create or update. */
function recordForm(object, fieldNames, record, onSaved, prefill = {}) {
  const def = objectDef(object);
  const fields = fieldNames.map((n) => def.fields.find((f) => f.name === n)).filter((f) => f && !(f.type === 'id'));
  let current = record;
  const inputs = new Map();
  const form = h('form', { novalidate: true });
  for (const f of fields) {
    const el = input(f, record ? record[f.name] : prefill[f.name]);
    inputs.set(f.name, el);
    form.append(h('label', { for: `f-${f.name}`, text: `${f.label}${f.required ? ' *' : ''}` }), el, h('div', { id: `f-${f.name}-error`, class: 'field-error' }));
  }
  const canWrite = def.actions.includes(record ? 'update' : 'create');
  form.append(h('p', {}, h('button', { type: 'submit', disabled: !canWrite, text: record ? t('record.save') : t('desktop.create') })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const f of fields) document.getElementById(`f-${f.name}-error`).textContent = '';
    const body = {};
    for (const f of fields) if (f.writable) {
      const v = readInput(f, inputs.get(f.name));
      if (!current || v !== (current[f.name] ?? null)) body[f.name] = v;
    }
    try {
      let r;
      if (current) r = await api('PATCH', `/api/objects/${object}/${encodeURIComponent(current[def.key[0]])}`, { ...body, ...(def.versioned ? { $version: current.$version } : {}) });
      else r = await api('POST', `/api/objects/${object}`, body);
      current = r.data;
      announce(t('record.saved'));
      onSaved(current);
    } catch (e) {
      if (e.status === 422) {
        for (const v of e.body.details?.violations ?? []) {
          const box = document.getElementById(`f-${v.field}-error`);
          if (box) box.textContent = v.message;
        }
        const first = (e.body.details?.violations ?? []).map((v) => inputs.get(v.field)).find(Boolean);
        first?.focus();
        announce(e.message);
      } else if (e.status === 409) {
        current = e.body.details.current;
        for (const f of fields) {
          const el = inputs.get(f.name);
          if (f.type === 'boolean') el.checked = current[f.name] === true;
          else el.value = current[f.name] ?? '';
        }
        fail(new Error(t('record.conflict')));
      } else fail(e);
    }
  });
  return form;
}

async function timeline(object, id) {
  const list = h('ol', { class: 'timeline', reversed: true });
  const r = await api('GET', `/api/objects/${object}/${encodeURIComponent(id)}/timeline`);
  for (const e of r.entries) {
    const when = new Date(e.at).toLocaleString();
    if (e.kind === 'contact') list.append(h('li', {}, h('strong', { text: `${e.channel} · ${e.code}` }), ` ${when} · ${e.actor}`, e.notes ? h('div', { text: e.notes }) : null));
    else list.append(h('li', {}, h('strong', { text: e.field ?? e.action }), ` ${when} · ${e.actor ?? ''}: `, h('span', { text: `${JSON.stringify(e.oldValue) ?? '–'} → ${JSON.stringify(e.newValue) ?? '–'}` })));
  }
  return h('section', { class: 'panel', 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title', text: t('desktop.timeline') }), list);
}

// ---- agent desktop --------------------------------------------------------------------------
function drawDesktop() {
  const d = appDef.desktop;
  const stateEl = h('span', { id: 'agent-state', class: 'state', text: '…' });
  const reason = h('select', { id: 'pause-reason' }, d.pauseReasons.map((r) => h('option', { value: r.code, text: r.label })));
  // The queues the agent serves: chosen among those allowed, sent with Ready at log-in or applied later.
  const queueBox = h('fieldset', { id: 'queues', class: 'panel queues', hidden: true });
  const chosenQueues = () => [...queueBox.querySelectorAll('input[name="queue"]:checked')].map((x) => x.value);
  function renderQueues(q) {
    if (!q || q.allowed.length === 0) return;
    queueBox.hidden = false;
    queueBox.replaceChildren(h('legend', { text: t('desktop.queues') }),
      ...q.allowed.map((id) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'queue', value: id, checked: q.selected.some((x) => x.queue === id) }), ` ${id}`)),
      h('button', { type: 'button', id: 'btn-queues', class: 'secondary', text: t('desktop.applyQueues'), onclick: async () => {
        const r = await act('POST', '/api/agent/queues', { queues: chosenQueues() });
        if (r) {
          renderQueues(r.queues);
          announce(`${t('desktop.queuesApplied')} ${r.queues.selected.map((x) => x.queue).join(', ')}`);
        }
      } }));
  }
  let stateNow = '';
  const ready = h('button', { type: 'button', id: 'btn-ready', text: t('desktop.ready'), onclick: async () => {
    const queues = chosenQueues();
    const r = await act('POST', '/api/agent/ready', stateNow === 'logged-out' && queues.length ? { queues } : {});
    if (r) renderQueues(r.queues);
  } });
  const pause = h('button', { type: 'button', id: 'btn-pause', class: 'secondary', text: t('desktop.pause'), onclick: () => act('POST', '/api/agent/pause', { reason: reason.value }) });
  const contactPanel = h('section', { id: 'contact', class: 'panel', 'aria-labelledby': 'contact-title' }, h('h2', { id: 'contact-title', text: t('desktop.customer') }), h('p', { class: 'muted', text: t('desktop.waiting') }));
  const scriptPanel = h('aside', { id: 'script', class: 'panel', 'aria-labelledby': 'script-title' }, h('h2', { id: 'script-title', text: t('desktop.script') }));
  const wrapPanel = h('section', { id: 'wrapup', class: 'panel', hidden: true, 'aria-labelledby': 'wrap-title' });
  const convPanel = h('section', { id: 'conversation', class: 'panel', hidden: true, 'aria-labelledby': 'conv-title' });
  main.replaceChildren(
    h('h1', { class: 'visually-hidden', text: t('nav.desktop') }),
    h('div', { class: 'panel bar', role: 'group', 'aria-label': t('desktop.state') }, h('span', { text: `${t('desktop.state')}: ` }), stateEl, ready, h('label', { for: 'pause-reason', class: 'visually-hidden', text: t('desktop.pauseReason') }), reason, pause, h('span', { class: 'muted', text: t('desktop.shortcuts') })),
    queueBox,
    h('div', { id: 'offer' }),
    h('div', { class: 'grid' }, contactPanel, h('div', {}, convPanel, wrapPanel, h('div', { id: 'tl' })), scriptPanel),
  );
  let offer = null;
  let contact = null;
  let record = null;
  let session = null;

  function setState(s, why) {
    stateNow = s;
    stateEl.textContent = why ? `${s} (${why})` : s;
    stateEl.className = `state ${s}`;
  }
  async function act(m, p, b) {
    try {
      const r = await api(m, p, b);
      if (r?.agent) setState(r.agent.state, r.agent.pauseReason);
      return r;
    } catch (e) {
      fail(e);
      return null;
    }
  }
  function showOffer(o) {
    offer = o;
    const box = document.getElementById('offer');
    box.replaceChildren();
    if (!o) return;
    const accept = h('button', { type: 'button', id: 'btn-accept', text: t('desktop.accept'), onclick: acceptOffer });
    box.append(h('div', { class: 'panel popup', role: 'alertdialog', 'aria-labelledby': 'offer-title' }, h('h2', { id: 'offer-title', text: `${t('desktop.incoming')}: ${o.channel} · ${o.queueId}` }), accept, ' ', h('button', { type: 'button', class: 'secondary', text: t('desktop.reject'), onclick: () => act('POST', `/api/agent/offers/${encodeURIComponent(o.offerId)}/reject`, {}) })));
    accept.focus();
    announce(t('desktop.incoming'));
    popped = screenPop(o.contactId).catch((e) => fail(e));
  }
  // The screen pop of the offer on screen: the connected view waits for it (the customer's name).
  let popped = Promise.resolve();
  async function screenPop(contactId) {
    const r = await api('GET', `/api/contacts/${encodeURIComponent(contactId)}`);
    contact = r;
    const pop = r.screenPop;
    contactPanel.replaceChildren(h('h2', { id: 'contact-title', text: `${t('desktop.customer')} · ${r.contact.address ?? ''}` }));
    if (pop && pop.matches.length > 0) showRecord(pop.object, pop.matches[0]);
    else if (pop) {
      const rec = appDef.records.find((x) => x.name === pop.record) ?? appDef.records.find((x) => x.object === pop.object);
      const names = rec ? rec.sections.flatMap((s) => s.fields) : objectDef(pop.object).fields.map((f) => f.name);
      contactPanel.append(h('p', { text: t('desktop.noMatch') }), recordForm(pop.object, names, null, (saved) => showRecord(pop.object, saved), pop.prefill));
    }
  }
  async function showRecord(object, rec) {
    record = { object, rec };
    const view = appDef.records.find((x) => x.object === object);
    const names = view ? view.sections.flatMap((s) => s.fields) : objectDef(object).fields.map((f) => f.name);
    const def = objectDef(object);
    contactPanel.replaceChildren(h('h2', { id: 'contact-title', text: `${t('desktop.customer')} · ${contact?.contact.address ?? ''}` }), h('div', { id: 'customer-name', class: 'figure', style: 'font-size:22px', text: names.slice(0, 2).map((n) => rec[n] ?? '').join(' ') }), recordForm(object, names.filter((n) => def.fields.some((f) => f.name === n)), rec, (saved) => { record.rec = saved; }));
    document.getElementById('tl').replaceChildren(await timeline(object, rec[def.key[0]]));
  }
  async function acceptOffer() {
    if (!offer) return;
    const o = offer;
    const r = await act('POST', `/api/agent/offers/${encodeURIComponent(o.offerId)}/accept`, {});
    if (!r) return;
    await connected(o);
  }
  // The offer is connected: by Accept, or by the agent's phone answering by itself (auto-answer).
  // Once per offer: the state message and the answer to Accept may both say so.
  let connectedOffer = null;
  async function connected(o) {
    if (connectedOffer === o.offerId) return;
    connectedOffer = o.offerId;
    await popped;
    showOffer(null);
    // A chat ends through its hub (the customer is told); other contacts through the REST API.
    const hangUp = () => (o.channel === 'chat' && chatSocket && chat?.id === o.contactId && chat.live
      ? chatSocket.send(JSON.stringify({ type: 'leave', chatId: o.contactId }))
      : act('POST', `/api/contacts/${encodeURIComponent(o.contactId)}/hang-up`, {}));
    const hangLabel = o.channel === 'chat' ? t('desktop.endChat') : o.channel === 'email' ? t('desktop.done') : t('desktop.hangUp');
    const hang = h('button', { type: 'button', id: 'btn-hangup', class: 'secondary', text: hangLabel, onclick: hangUp });
    document.getElementById('offer').append(h('div', { class: 'panel bar' }, h('span', { text: `${o.channel} · ${contact?.contact.address ?? ''}` }), hang));
    showWrapUp(o);
    if (o.channel === 'email') void showEmail(o.contactId);
    else if (o.channel === 'chat') void showChat(o.contactId);
    if (contact?.script) {
      const def = record ? objectDef(record.object) : null;
      session = await api('POST', '/api/scripts/sessions', { contactId: o.contactId, ...(record ? { object: record.object, recordId: record.rec[def.key[0]] } : {}) });
      renderStep();
    }
  }
  function renderStep() {
    const s = session;
    const step = s.step;
    const body = h('div', { id: 'step' });
    body.append(h('p', { id: 'prompt', text: step.prompt }));
    if (step.help) body.append(h('p', { class: 'muted', text: step.help }));
    if (step.error) body.append(h('p', { class: 'field-error', role: 'alert', id: 'step-error', text: step.error }));
    const answer = async (value) => {
      try {
        session = await api('POST', `/api/scripts/sessions/${s.sessionId}/answer`, { value, revision: s.revision });
        renderStep();
        if ((session.status === 'ended' || session.status === 'handoff') && record) {
          const def = objectDef(record.object);
          const fresh = await api('GET', `/api/objects/${record.object}/${encodeURIComponent(record.rec[def.key[0]])}`);
          await showRecord(record.object, fresh.data);
        }
      } catch (e) {
        fail(e);
      }
    };
    if (step.kind === 'question') {
      if (step.choices?.length) {
        body.append(h('div', { class: 'choices', role: 'group', 'aria-labelledby': 'prompt' }, step.choices.map((c, i) => h('button', { type: 'button', class: 'secondary choice', 'data-key': String(i + 1), onclick: () => answer(c.value), text: `${i + 1}. ${c.label}` }))));
      } else if (step.type === 'boolean') {
        body.append(h('div', { class: 'choices' }, h('button', { type: 'button', class: 'secondary choice', 'data-key': '1', onclick: () => answer(true), text: `1. ${t('yes')}` }), h('button', { type: 'button', class: 'secondary choice', 'data-key': '2', onclick: () => answer(false), text: `2. ${t('no')}` })));
      } else {
        const inp = h('input', { id: 'answer', 'aria-labelledby': 'prompt', 'aria-invalid': step.error ? 'true' : 'false' });
        body.append(h('form', { onsubmit: (ev) => { ev.preventDefault(); answer(step.type === 'number' ? Number(inp.value) : inp.value); } }, inp, h('p', {}, h('button', { type: 'submit', text: t('desktop.next') }))));
        window.setTimeout(() => inp.focus(), 0);
      }
    } else if (step.kind === 'info') body.append(h('button', { type: 'button', onclick: () => answer(null), text: t('desktop.next') }));
    else body.append(h('p', { id: 'script-done', text: t('desktop.scriptDone') }));
    if (step.canGoBack) body.append(h('button', { type: 'button', class: 'secondary', id: 'btn-back', onclick: async () => { session = await api('POST', `/api/scripts/sessions/${s.sessionId}/back`, { revision: s.revision }); renderStep(); }, text: t('desktop.back') }));
    scriptPanel.replaceChildren(h('h2', { id: 'script-title', text: `${t('desktop.script')} · ${s.script}` }), body);
  }
  function showWrapUp(o) {
    const code = h('select', { id: 'wrap-code' }, d.wrapUpCodes.map((c) => h('option', { value: c.code, text: c.label })));
    const notes = h('textarea', { id: 'wrap-notes', rows: '3', maxlength: '2000' });
    wrapPanel.hidden = false;
    wrapPanel.replaceChildren(h('h2', { id: 'wrap-title', text: t('desktop.wrapUp') }), h('form', { onsubmit: async (ev) => {
      ev.preventDefault();
      const def = record ? objectDef(record.object) : null;
      const r = await act('POST', `/api/contacts/${encodeURIComponent(o.contactId)}/wrap-up`, { code: code.value, notes: notes.value, ...(record ? { object: record.object, recordId: record.rec[def.key[0]] } : {}) });
      if (!r) return;
      wrapPanel.hidden = true;
      convPanel.hidden = true;
      convPanel.replaceChildren();
      chat = null;
      document.getElementById('offer').replaceChildren();
      scriptPanel.replaceChildren(h('h2', { id: 'script-title', text: t('desktop.script') }));
      if (record) document.getElementById('tl').replaceChildren(await timeline(record.object, record.rec[def.key[0]]));
      announce(t('desktop.waiting'));
    } }, h('label', { for: 'wrap-code', text: t('desktop.wrapUpCode') }), code, h('label', { for: 'wrap-notes', text: t('desktop.notes') }), notes, h('p', {}, h('button', { type: 'submit', id: 'btn-wrapup', text: t('desktop.finish') }))), callbackForm(o));
  }
  // A callback promised to the customer: a local date and time, sent as an ISO instant.
  function callbackForm(o) {
    const when = h('input', { id: 'cb-at', type: 'datetime-local', required: 'required' });
    // Prefilled with the caller's number: once the call has ended the server no longer has it.
    const addr = contact?.contact.address ?? '';
    const num = h('input', { id: 'cb-number', type: 'tel', maxlength: '32', value: /^\+?[0-9 ()-]{6,32}$/.test(addr) ? addr : '' });
    return h('form', { id: 'callback-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const at = new Date(when.value);
      if (Number.isNaN(at.getTime())) return;
      const r = await act('POST', `/api/contacts/${encodeURIComponent(o.contactId)}/callback`, { at: at.toISOString(), ...(num.value ? { number: num.value } : {}) });
      if (r) announce(`${t('desktop.callbackScheduled')} ${at.toLocaleString()}`);
    } }, h('label', { for: 'cb-at', text: t('desktop.callbackAt') }), when, h('label', { for: 'cb-number', text: t('desktop.callbackNumber') }), num,
    h('p', {}, h('button', { type: 'submit', class: 'secondary', id: 'btn-callback', text: t('desktop.scheduleCallback') })));
  }
  // ---- e-mail contacts: the thread, its attachments, and a threaded reply through the relay ----
  function emailMessage(m) {
    const when = new Date(m.at).toLocaleString();
    return h('article', { class: `mail ${m.direction}`, 'aria-label': `${m.direction === 'inbound' ? t('email.from') : t('email.sent')} ${m.from || m.to.join(', ')}` },
      h('p', { class: 'muted' }, h('strong', { text: m.direction === 'inbound' ? m.from : `${t('email.to')} ${m.to.join(', ')}` }), ` · ${when}`),
      h('div', { class: 'mail-body', text: m.text }),
      m.attachments.length ? h('ul', { class: 'attachments', 'aria-label': t('email.attachments') }, m.attachments.map((a) => h('li', {}, h('a', { href: a.href, download: a.filename, text: a.filename }), ` (${a.contentType}, ${Math.max(1, Math.round(a.size / 1024))} KB)`))) : null);
  }
  async function showEmail(contactId) {
    let r;
    try {
      r = await api('GET', `/api/contacts/${encodeURIComponent(contactId)}/email`);
    } catch (e) {
      return fail(e);
    }
    const first = r.messages[0];
    const thread = h('div', { id: 'mail-thread' }, r.messages.map(emailMessage));
    const text = h('textarea', { id: 'reply-text', rows: '6', maxlength: '20000', required: true });
    const form = h('form', { id: 'reply-form', onsubmit: async (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return text.focus();
      try {
        const sent = await api('POST', `/api/contacts/${encodeURIComponent(contactId)}/email/reply`, { text: text.value });
        thread.append(emailMessage(sent.message));
        text.value = '';
        announce(t('email.replySent'));
      } catch (e) {
        fail(e);
      }
    } }, h('label', { for: 'reply-text', text: t('email.reply') }), text, h('p', {}, h('button', { type: 'submit', id: 'btn-reply', text: t('email.send') })));
    convPanel.hidden = false;
    convPanel.replaceChildren(h('h2', { id: 'conv-title', text: `${t('email.title')} · ${first?.subject ?? ''}` }), thread, form);
    text.focus();
  }

  // ---- chat contacts: the conversation runs over /ws/chat (the chat channel's hub) ----------------
  let chatSocket = null;
  let chat = null;
  // The agent's own messages, shown once the hub acknowledged them (`sent`).
  const chatPending = new Map();
  let chatSent = 0;
  function openChatSocket() {
    chatSocket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/chat`);
    chatSocket.addEventListener('message', (m) => {
      const f = JSON.parse(m.data);
      if (!chat || (f.chatId && f.chatId !== chat.id)) return;
      if (f.type === 'joined') {
        for (const x of f.transcript) chatLine(x);
        chatReady();
      } else if (f.type === 'sent' && chatPending.has(f.clientId)) {
        chatLine({ seq: f.seq, from: 'agent', text: chatPending.get(f.clientId) });
        chatPending.delete(f.clientId);
      } else if (f.type === 'message') {
        chatLine(f);
        if (f.from === 'customer') chatSocket.send(JSON.stringify({ type: 'read', chatId: chat.id, upTo: f.seq }));
      } else if (f.type === 'typing' && f.from === 'customer') chat.typing.textContent = f.typing ? t('chat.typing') : '';
      else if (f.type === 'ended') {
        chat.input.disabled = true;
        chat.send.disabled = true;
        chat.log.append(h('li', { class: 'muted', text: t('chat.ended') }));
        announce(t('chat.ended'));
      } else if (f.type === 'error') fail(new Error(f.message));
    });
  }
  function chatLine(m) {
    if (chat.seen.has(m.seq)) return;
    chat.seen.add(m.seq);
    const who = m.from === 'customer' ? (chat.customer || t('chat.customer')) : t('chat.you');
    const li = h('li', { class: `chat-${m.from}`, 'data-seq': String(m.seq) }, h('strong', { text: `${who}: ` }), h('span', { text: m.text }));
    const later = [...chat.log.children].find((x) => Number(x.dataset.seq) > m.seq);
    chat.log.insertBefore(li, later ?? null);
  }
  function chatReady() {
    chat.input.disabled = false;
    chat.send.disabled = false;
  }
  async function showChat(contactId) {
    const log = h('ol', { id: 'chat-log', class: 'chat-log', 'aria-live': 'polite', 'aria-label': t('chat.transcript') });
    const input = h('input', { id: 'chat-text', maxlength: '4000', autocomplete: 'off', disabled: true });
    const send = h('button', { type: 'submit', id: 'btn-chat-send', disabled: true, text: t('chat.send') });
    const typing = h('p', { class: 'muted', id: 'chat-typing' });
    chat = { id: contactId, log, input, send, typing, seen: new Set(), customer: '' };
    const title = h('h2', { id: 'conv-title', text: t('chat.title') });
    // What a self-service visitor entered before asking for the chat (read again: the hand-off is
    // written just after the chat was queued).
    const answers = h('div', { id: 'chat-answers' });
    void api('GET', `/api/contacts/${encodeURIComponent(contactId)}`).then((c) => {
      const given = Object.entries(c.handoff?.answers ?? {});
      if (given.length) answers.replaceChildren(h('dl', { class: 'answers', 'aria-label': t('chat.answers') }, given.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) })])));
    }, () => undefined);
    const form = h('form', { id: 'chat-form', onsubmit: (ev) => {
      ev.preventDefault();
      if (!input.value.trim() || !chatSocket) return;
      const clientId = `a${++chatSent}`;
      chatPending.set(clientId, input.value);
      chatSocket.send(JSON.stringify({ type: 'message', chatId: contactId, text: input.value, clientId }));
      input.value = '';
    } }, h('label', { for: 'chat-text', text: t('chat.message') }), h('div', { class: 'bar' }, input, send));
    convPanel.hidden = false;
    convPanel.replaceChildren(title, answers, log, typing, form);
    try {
      const r = await api('GET', `/api/contacts/${encodeURIComponent(contactId)}/chat`);
      chat.live = true;
      chat.customer = r.chat.customerName ?? '';
      title.textContent = `${t('chat.title')} · ${chat.customer}${r.chat.subject ? ` · ${r.chat.subject}` : ''}`;
      for (const m of r.transcript) chatLine(m);
      if (r.chat.agentId === me.agentId && r.chat.state === 'open') chatReady();
      input.focus();
    } catch (e) {
      if (e.status !== 404 && e.status !== 503) return fail(e);
      // A chat request without a conversation (e.g. a self-service hand-off): show what the customer entered.
      const answers = Object.entries(contact?.contact.data?.answers ?? {});
      convPanel.replaceChildren(title, h('p', { id: 'chat-none', text: t('chat.noConversation') }),
        answers.length ? h('dl', { class: 'answers' }, answers.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: typeof v === 'object' ? JSON.stringify(v) : String(v) })])) : null);
    }
  }
  void api('GET', '/api/agent').then((r) => {
    renderQueues(r.queues);
    if (r.channels?.chat) openChatSocket();
  }, () => undefined);

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'F2') { ev.preventDefault(); ready.click(); }
    else if (ev.key === 'F3') { ev.preventDefault(); pause.click(); }
    else if (ev.key === 'F4') { ev.preventDefault(); void acceptOffer(); }
    else if (ev.key === 'F8') { ev.preventDefault(); document.getElementById('btn-hangup')?.click(); }
    else if (/^[1-9]$/.test(ev.key) && !['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName)) {
      scriptPanel.querySelector(`button.choice[data-key="${ev.key}"]`)?.click();
    }
  });
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent`);
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'hello') {
      setState(msg.agent.state, msg.agent.pauseReason);
      if (msg.offers[0]) showOffer(msg.offers[0]);
    } else if (msg.type === 'state') {
      setState(msg.state, msg.reason);
      if (offer && (msg.contactIds ?? []).includes(offer.contactId)) void connected(offer);
    }
    else if (msg.type === 'offer') showOffer(msg.offer);
    else if (msg.type === 'withdrawn' && offer?.offerId === msg.offerId) showOffer(null);
  });
}

