/* global document, window, fetch, WebSocket, location, URLSearchParams */
// The Caruso front office in the browser. Every text reaches the page through textContent or
// attribute setters (never innerHTML), so customer data is always shown escaped.
const page = document.body.dataset.page;
const main = document.getElementById('main');
const live = document.getElementById('live');
let T = {};
let csrf = '';
let me = null;
let appDef = null;
let clockOffset = 0;

const t = (k) => T[k] ?? k;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    // CSSOM, not the style attribute: the content security policy forbids inline style attributes.
    else if (k === 'style') el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof window.Node ? c : document.createTextNode(String(c)));
  return el;
}

function announce(text) {
  live.textContent = text;
}

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) {
    const err = new Error(data?.error?.message ?? t('error'));
    err.status = res.status;
    err.body = data?.error;
    throw err;
  }
  return data;
}

function fail(e) {
  announce(e.message);
  const box = document.getElementById('error') ?? main.insertBefore(h('p', { id: 'error', role: 'alert', class: 'field-error' }), main.firstChild);
  box.textContent = e.message;
}

function header() {
  const top = document.getElementById('top');
  top.replaceChildren();
  if (!me || me.role === 'anonymous') {
    top.append(h('strong', { text: 'Caruso' }));
    return;
  }
  const nav = h('nav', { 'aria-label': 'Main' });
  for (const item of appDef?.navigation ?? []) {
    const href = item.view === 'desktop' ? '/desktop' : item.view === 'wallboard' ? '/wallboard' : appDef.dashboards.some((d) => d.name === item.view) ? `/dashboards/${encodeURIComponent(item.view)}` : item.view === 'users' ? '/users' : `/lists/${encodeURIComponent(item.view)}`;
    nav.append(h('a', { href, text: item.view === 'desktop' ? t('nav.desktop') : item.label, 'aria-current': location.pathname === href ? 'page' : null }));
  }
  nav.append(h('a', { href: '/callbacks', text: t('nav.callbacks'), 'aria-current': location.pathname === '/callbacks' ? 'page' : null }));
  top.append(h('strong', { text: 'Caruso' }), nav, h('span', { text: `${me.name} (${me.role})` }), h('button', { class: 'secondary', type: 'button', onclick: async () => { await api('DELETE', '/api/session'); location.assign('/login'); }, text: t('nav.logout') }));
}

// ---- log in -------------------------------------------------------------------------------
function loginPage() {
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { 'aria-labelledby': 'login-title', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/session', { username: user.value, password: pass.value });
      csrf = r.csrf;
      location.assign(r.user.role === 'agent' ? '/desktop' : r.user.role === 'supervisor' ? '/wallboard' : '/');
    } catch (e) {
      fail(e);
    }
  } },
  h('h1', { id: 'login-title', text: t('login.title') }),
  h('label', { for: 'username', text: t('login.user') }), user,
  h('label', { for: 'password', text: t('login.password') }), pass,
  h('p', {}, h('button', { type: 'submit', text: t('login.submit') })));
  main.replaceChildren(h('div', { class: 'panel', style: 'max-width:380px' }, form));
  user.focus();
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
function desktopPage() {
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

// ---- wallboard ------------------------------------------------------------------------------
function wallboardPage() {
  const root = h('div', { id: 'wallboard' });
  main.replaceChildren(h('h1', { text: t('nav.wallboard') }), root);
  // The dashboard of /dashboards/<name>, else the role's first. A named dashboard shows its own
  // widgets only (live ones with their labels, then its reports); /wallboard shows every live panel.
  const name = location.pathname.startsWith('/dashboards/') ? decodeURIComponent(location.pathname.slice('/dashboards/'.length)) : undefined;
  const dashboard = name === undefined ? appDef.dashboards[0] : appDef.dashboards.find((d) => d.name === name);
  if (name !== undefined && !dashboard) return fail(new Error(`${t('dashboard.unknown')} ${name}`));
  const live = name !== undefined ? new Map(dashboard.widgets.filter((w) => w.kind !== 'report').map((w) => [w.kind, w.label])) : undefined;
  const show = (kind) => !live || live.has(kind);
  const label = (kind, text) => live?.get(kind) ?? text;
  const render = (f) => {
    const max = Math.max(1, ...Object.values(f.agents));
    const agents = h('section', { class: 'panel', 'aria-labelledby': 'wb-agents' }, h('h2', { id: 'wb-agents', text: label('agents-by-state', t('wallboard.agents')) }), Object.entries(f.agents).map(([s, n]) => h('div', { class: 'bar', 'data-state': s }, h('span', { style: 'width:90px', text: s }), h('span', { class: 'fill', style: `width:${Math.round((n / max) * 200)}px`, role: 'img', 'aria-label': `${s}: ${n}` }), h('span', { class: 'count', text: String(n) }))));
    const waiting = h('section', { class: 'panel', 'aria-labelledby': 'wb-waiting' }, h('h2', { id: 'wb-waiting', text: label('waiting', t('wallboard.waiting')) }), h('div', { id: 'wb-waiting-count', class: 'figure', text: String(f.waiting) }));
    const queues = h('section', { class: 'panel', 'aria-labelledby': 'wb-queues' }, h('h2', { id: 'wb-queues', text: label('queues', t('wallboard.queues')) }), h('table', {}, h('thead', {}, h('tr', {}, ['queue', 'waiting', 'staffed', 'available', 'longest'].map((k) => h('th', { scope: 'col', text: t(`wallboard.${k}`) })))), h('tbody', {}, f.queues.map((q) => h('tr', {}, h('td', { text: q.queueId }), h('td', { text: String(q.waiting) }), h('td', { text: String(q.staffed) }), h('td', { text: String(q.available) }), h('td', { text: String(Math.round(q.longestWaitMs / 1000)) }))))));
    const panels = [['agents-by-state', agents], ['waiting', waiting], ['queues', queues]].filter(([kind]) => show(kind)).map(([, panel]) => panel);
    root.replaceChildren(h('div', { class: 'grid wb-grid' }, panels));
  };
  // The figures as the server has them now, then live from the monitor's topics (one live feed, folded
  // from the contact event log). Without a monitor they stay as read, and the page says so.
  const wantLive = ['agents-by-state', 'waiting', 'queues'].some(show);
  const wantMonitor = ['service-level', 'campaigns', 'alerts'].some(show);
  if (wantLive || wantMonitor) {
    void api('GET', '/api/wallboard').then((f) => {
      if (!f) return;
      if (wantLive) {
        render(f);
        if (f.monitor) liveWallboard(f, render);
        else root.after(h('p', { id: 'wb-not-live', class: 'muted', text: t('wallboard.notLive') }));
      }
      if (wantMonitor && f.monitor) monitorPanels(show, label);
    }, () => undefined);
  }
  if (dashboard && name !== undefined) main.querySelector('h1').textContent = dashboard.label;
  const widgets = (dashboard?.widgets ?? []).filter((w) => w.kind === 'report');
  if (widgets.length) {
    const box = h('div', { id: 'wb-reports', class: 'grid wb-grid wb-reports' });
    main.append(box);
    widgets.forEach((w, i) => box.append(reportWidget(w, i)));
  }
}

// The wallboard's agents, waiting contacts and queues from the monitor's topics over /ws/monitor:
// `agents` (each agent's state) and `queue:<id>` (the contacts in line, ringing ones marked `offered`).
// Who serves which queue is the server's (`members` of GET /api/wallboard), read again when an agent
// logs in or out. The longest wait runs on the server's clock (clockOffset), drawn every second while
// someone waits: no figure is polled.
const AGENT_STATES = ['ready', 'reserved', 'busy', 'wrap-up', 'paused', 'logged-out'];
function liveWallboard(first, render) {
  let roster = first;
  const values = {};
  const subscribed = new Set();
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/monitor`);
  const subscribe = () => {
    if (ws.readyState !== WebSocket.OPEN) return;
    for (const topic of ['agents', ...roster.queues.map((q) => `queue:${q.queueId}`)]) {
      if (subscribed.has(topic)) continue;
      subscribed.add(topic);
      ws.send(JSON.stringify({ type: 'subscribe', topic }));
    }
  };
  const stateOf = (id) => values.agents?.agents?.[id]?.state ?? 'logged-out';
  const figures = () => {
    const now = Date.now() + clockOffset;
    const agents = Object.fromEntries(AGENT_STATES.map((st) => [st, 0]));
    if (values.agents) for (const a of roster.agentList) agents[stateOf(a.id)] = (agents[stateOf(a.id)] ?? 0) + 1;
    const queues = roster.queues.map((q) => {
      const v = values[`queue:${q.queueId}`];
      if (!v || !values.agents) return q;
      const waiting = v.waiting.filter((c) => !c.offered);
      // An agent's queue choice made while logged in comes with the agents topic (from the event log).
      const queuesOf = (id) => values.agents?.agents?.[id]?.queues ?? roster.members?.[id] ?? [];
      const ids = new Set([...Object.keys(roster.members ?? {}), ...Object.keys(values.agents?.agents ?? {})]);
      const serving = [...ids].filter((id) => queuesOf(id).includes(q.queueId)).map((id) => stateOf(id));
      return {
        queueId: q.queueId,
        waiting: waiting.length,
        staffed: serving.filter((st) => st !== 'logged-out').length,
        available: serving.filter((st) => st === 'ready').length,
        longestWaitMs: waiting.length ? Math.max(0, now - waiting.reduce((m, c) => Math.min(m, c.enteredAt), Infinity)) : 0,
      };
    });
    return { agents: values.agents ? agents : roster.agents, queues, waiting: queues.reduce((n, q) => n + q.waiting, 0) };
  };
  let loggedIn;
  let rereading = false;
  const reread = () => {
    if (rereading) return;
    rereading = true;
    void api('GET', '/api/wallboard').then((f) => {
      rereading = false;
      if (!f) return;
      roster = f;
      subscribe();
      draw();
    }, () => { rereading = false; });
  };
  const draw = () => {
    const f = figures();
    render(f);
    // Logging in (with a choice of queues) or out changes who serves which queue: read it again.
    const sig = values.agents ? Object.keys(values.agents.agents ?? {}).filter((id) => stateOf(id) !== 'logged-out').sort().join(',') : undefined;
    if (sig !== undefined && loggedIn !== undefined && sig !== loggedIn) reread();
    if (sig !== undefined) loggedIn = sig;
  };
  ws.addEventListener('open', subscribe);
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'snapshot') values[msg.topic] = msg.value;
    else if (msg.type === 'change') values[msg.topic] = patchValue(values[msg.topic], msg.ops);
    else if (msg.type === 'missed') ws.send(JSON.stringify({ type: 'subscribe', topic: msg.topic }));
    else return;
    draw();
  });
  const timer = window.setInterval(() => {
    if (!document.hidden && roster.queues.some((q) => values[`queue:${q.queueId}`]?.waiting.some((c) => !c.offered))) render(figures());
  }, 1000);
  window.addEventListener('pagehide', () => { window.clearInterval(timer); ws.close(); }, { once: true });
}

// ---- report widgets -------------------------------------------------------------------------
const REPORT_REFRESH_MS = 60_000;
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof window.Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The [from, to) of a widget's period in the viewer's local time. */
function reportPeriod(period, now = new Date(Date.now() + clockOffset)) {
  const day = (offset) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset);
  if (period === 'yesterday') return [day(-1), day(0)];
  if (period === 'last-7-days') return [day(-6), day(1)];
  if (period === 'this-month') return [new Date(now.getFullYear(), now.getMonth(), 1), new Date(now.getFullYear(), now.getMonth() + 1, 1)];
  return [day(0), day(1)];
}

// Ratios (0..1) are shown as percentages; other figures with at most one decimal.
const isRatio = (column) => /Rate$|^serviceLevel|^occupancy$|^utilization$/.test(column);
function reportCell(column, v) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (isRatio(column)) return `${Math.round(v * 1000) / 10} %`;
  return String(Math.round(v * 10) / 10);
}
// A column's label: its translation when there is one, else its name in words (`avgWaitSeconds`: Avg wait (s)).
function columnLabel(c) {
  if (T[`report.column.${c}`]) return T[`report.column.${c}`];
  const words = c.replace(/Seconds$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().replace(/\b(asa|aht)\b/g, (x) => x.toUpperCase());
  return `${words.replace(/^./, (x) => x.toUpperCase())}${c.endsWith('Seconds') ? ' (s)' : ''}`;
}

/** A horizontal bar chart of one column (one bar per row), as SVG with its own title for screen readers. */
function reportChart(r, id) {
  const labels = r.rows.map((row) => (r.dimensions.length ? r.dimensions.map((d) => (row[d] === null || row[d] === undefined ? '(none)' : String(row[d]))).join(' / ') : t('report.total')));
  const values = r.rows.map((row) => (typeof row[r.chart] === 'number' ? row[r.chart] : null));
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const rowH = 22;
  const labelW = 140;
  const barW = 300;
  const title = `${columnLabel(r.chart)}${r.dimensions.length ? ` ${t('report.by')} ${r.dimensions.map(columnLabel).join(' / ').toLowerCase()}` : ''}`;
  const summary = labels.map((l, i) => `${l}: ${reportCell(r.chart, values[i])}`).join('; ');
  return svg('svg', { class: 'report-chart', viewBox: `0 0 ${labelW + barW + 60} ${labels.length * rowH + 4}`, role: 'img', 'aria-labelledby': `${id}-chart-title ${id}-chart-desc`, 'data-column': r.chart },
    svg('title', { id: `${id}-chart-title` }, title),
    svg('desc', { id: `${id}-chart-desc` }, summary),
    labels.map((label, i) => {
      const v = values[i];
      const w = v === null || max <= 0 ? 0 : Math.max(1, (v / max) * barW);
      const y = 2 + i * rowH;
      return svg('g', { class: 'report-bar' },
        svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, label.length > 16 ? `${label.slice(0, 15)}…` : label),
        svg('rect', { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 6 }),
        svg('text', { x: (labelW + w + 4).toFixed(1), y: y + 15 }, reportCell(r.chart, v)));
    }));
}

function reportWidget(w, i) {
  const id = `rw-${i}`;
  const heading = h('h2', { id: `${id}-title`, text: w.label ?? w.report });
  const period = h('p', { class: 'muted', text: t(`report.period.${w.period ?? 'today'}`) });
  const body = h('div', { class: 'report-body', 'aria-live': 'polite' });
  const section = h('section', { class: 'panel report-widget', id, 'data-report': w.report, 'aria-labelledby': `${id}-title`, 'aria-busy': 'true' }, heading, period, body);
  const load = async () => {
    const [from, to] = reportPeriod(w.period ?? 'today');
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    try {
      const { data: r } = await api('GET', `/api/reports/${encodeURIComponent(w.report)}?${q}`);
      if (!w.label) heading.textContent = r.title;
      const cols = r.columns;
      const table = h('table', { class: 'report-table' },
        h('caption', { class: 'visually-hidden', text: `${w.label ?? r.title}, ${t(`report.period.${w.period ?? 'today'}`)}` }),
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', text: columnLabel(c) })))),
        h('tbody', {}, r.rows.map((row) => h('tr', {}, cols.map((c, j) => (j < r.dimensions.length ? h('th', { scope: 'row', text: reportCell(c, row[c]) }) : h('td', { text: reportCell(c, row[c]) })))))));
      const updated = h('p', { class: 'muted report-updated', text: `${t('report.updated')} ${new Date(Date.now() + clockOffset).toLocaleTimeString(appDef.lang, { hour: '2-digit', minute: '2-digit' })}` });
      body.replaceChildren(...(r.rows.length === 0 ? [h('p', { text: t('report.empty') })] : [r.chart ? reportChart(r, id) : null, h('div', { class: 'report-scroll', tabindex: '0', role: 'region', 'aria-label': `${w.label ?? r.title}: ${t('report.table')}` }, table)]), updated);
    } catch (e) {
      body.replaceChildren(h('p', { class: 'field-error', role: 'alert', text: `${t('report.failed')} ${e.message}` }));
    } finally {
      section.setAttribute('aria-busy', 'false');
    }
  };
  void load();
  const timer = window.setInterval(() => { if (!document.hidden) void load(); }, REPORT_REFRESH_MS);
  window.addEventListener('pagehide', () => window.clearInterval(timer), { once: true });
  return section;
}

// The monitor's figures (service level, campaigns, alerts) when a monitor service is registered:
// its protocol sends a snapshot per topic, then patches (path + value, or path alone to delete).
function patchValue(value, ops) {
  let root = window.structuredClone(value);
  for (const op of ops) {
    if (op.path.length === 0) { root = window.structuredClone(op.value); continue; }
    if (root === null || typeof root !== 'object') root = {};
    let node = root;
    for (const k of op.path.slice(0, -1)) {
      if (k === '__proto__' || k === 'constructor' || k === 'prototype') return root;
      if (node[k] === null || typeof node[k] !== 'object') node[k] = {};
      node = node[k];
    }
    const last = op.path[op.path.length - 1];
    if (last === '__proto__' || last === 'constructor' || last === 'prototype') return root;
    if ('value' in op) node[last] = window.structuredClone(op.value); else delete node[last];
  }
  return root;
}
// The campaign control of supervisors: start, pause or stop each campaign of the communication
// server (GET /api/campaigns: also those never started, which the live figures do not know). Its own
// panel, drawn again only when a campaign's state changes, so a button keeps the focus while the
// figures move; read again when the live campaign figures change and after each action.
function campaignControl(box) {
  const panel = h('section', { class: 'panel', id: 'wb-camp-ctl', 'aria-labelledby': 'wb-camp-ctl-title', hidden: true });
  box.after(h('div', { class: 'grid wb-grid' }, panel));
  const actions = { created: ['start', 'stop'], paused: ['start', 'stop'], running: ['pause', 'stop'] };
  let drawn = null;
  const draw = (camps) => {
    const sig = camps.map((x) => `${x.id}:${x.status}`).join('|');
    if (sig === drawn) return;
    drawn = sig;
    panel.hidden = camps.length === 0;
    panel.replaceChildren(h('h2', { id: 'wb-camp-ctl-title', text: t('campaign.control') }), h('ul', { class: 'campaign-actions' }, camps.map((x) => h('li', { 'data-campaign': x.id },
      h('span', { text: `${x.id}: ${x.status}` }),
      (actions[x.status] ?? []).map((a) => h('button', {
        type: 'button', class: 'secondary', 'data-action': a, 'aria-label': `${t(`campaign.${a}`)} ${x.id}`, text: t(`campaign.${a}`),
        onclick: async () => {
          try {
            await api('POST', `/api/campaigns/${encodeURIComponent(x.id)}/${a}`, {});
          } catch (e) {
            fail(e);
          }
          void refresh();
        },
      }))))));
  };
  const refresh = () => api('GET', '/api/campaigns').then((r) => draw(r?.data ?? []), () => undefined);
  void refresh();
  let seen = '';
  return (live) => {
    const sig = live.map((x) => `${x.campaignId}:${x.state}`).join('|');
    if (sig !== seen) {
      seen = sig;
      void refresh();
    }
  };
}
function monitorPanels(show = () => true, label = (kind, text) => text) {
  const box = h('div', { id: 'wb-monitor', class: 'grid wb-grid' });
  document.getElementById('wallboard')?.after(box);
  const control = show('campaigns') ? campaignControl(box) : () => undefined;
  const values = {};
  const pct = (x) => `${Math.round((Number(x) || 0) * 100)} %`;
  const draw = () => {
    const c = values.center;
    const sl = h('section', { class: 'panel', 'aria-labelledby': 'wb-sl' }, h('h2', { id: 'wb-sl', text: label('service-level', t('wallboard.serviceLevel')) }),
      c ? [h('div', { id: 'wb-sl-value', class: 'figure', text: pct(c.today.serviceLevel.ofOffered) }),
        h('p', { text: `${t('wallboard.within')} ${c.today.serviceLevel.thresholdSeconds} s · ${t('wallboard.offered')} ${c.today.offered} · ${t('wallboard.abandoned')} ${c.today.abandoned} · ${t('wallboard.callbacks')} ${c.callbacksPending}` })] : []);
    const camps = Object.values(values.campaigns?.campaigns ?? {});
    control(camps);
    const cp = h('section', { class: 'panel', 'aria-labelledby': 'wb-camp' }, h('h2', { id: 'wb-camp', text: label('campaigns', t('wallboard.campaigns')) }),
      camps.length ? h('table', {}, h('thead', {}, h('tr', {}, ['campaign', 'state', 'dialled', 'answered', 'dropRate'].map((k) => h('th', { scope: 'col', text: t(`wallboard.${k}`) })))),
        h('tbody', {}, camps.map((x) => h('tr', {}, h('td', { text: x.campaignId }), h('td', { text: x.state }), h('td', { text: String(x.dialled) }), h('td', { text: String(x.answered) }), h('td', { text: pct(x.dropRate) }))))) : h('p', { text: t('wallboard.none') }));
    const alerts = Object.values(values.alerts?.active ?? {});
    const al = h('section', { class: 'panel', 'aria-labelledby': 'wb-alerts', 'aria-live': 'polite' }, h('h2', { id: 'wb-alerts', text: label('alerts', t('wallboard.alerts')) }),
      alerts.length ? h('ul', { id: 'wb-alert-list' }, alerts.map((a) => h('li', { 'data-severity': a.severity, text: `${a.severity}: ${a.id} (${a.subject}) ${a.metric} ${a.comparison} → ${a.value}` }))) : h('p', { text: t('wallboard.none') }));
    box.replaceChildren(...[['service-level', sl], ['campaigns', cp], ['alerts', al]].filter(([kind]) => show(kind)).map(([, panel]) => panel));
  };
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/monitor`);
  ws.addEventListener('open', () => { for (const topic of ['center', 'campaigns', 'alerts']) ws.send(JSON.stringify({ type: 'subscribe', topic })); });
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === 'snapshot') values[msg.topic] = msg.value;
    else if (msg.type === 'change') values[msg.topic] = patchValue(values[msg.topic], msg.ops);
    else if (msg.type === 'missed') ws.send(JSON.stringify({ type: 'subscribe', topic: msg.topic }));
    else return;
    draw();
  });
}

// ---- lists and records ----------------------------------------------------------------------
function listPage() {
  const name = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  const view = appDef.lists.find((l) => l.name === name);
  if (!view) return fail(new Error(`${name}?`));
  const def = objectDef(view.object);
  const cols = view.columns.filter((c) => def.fields.some((f) => f.name === c.field));
  const search = h('input', { id: 'search', type: 'search' });
  const filter = h('select', { id: 'saved-filter' }, h('option', { value: '', text: t('list.all') }), view.filters.map((f) => h('option', { value: f.name, text: f.label })));
  const table = h('table', {});
  const pager = h('p', {});
  let offset = 0;
  const load = async () => {
    const q = new URLSearchParams({ limit: String(view.pageSize), offset: String(offset) });
    if (view.sort.length) q.set('sort', view.sort.join(','));
    if (search.value) q.set('search', search.value);
    const sf = view.filters.find((f) => f.name === filter.value);
    if (sf) q.set('filter', JSON.stringify(Object.fromEntries(sf.conditions.map((c) => [c.field, c.op === 'eq' ? c.value : { [c.op]: c.op === 'isNull' ? c.value !== 'false' : c.value }]))));
    try {
      const r = await api('GET', `/api/objects/${view.object}?${q}`);
      table.replaceChildren(h('caption', { class: 'visually-hidden', text: view.label }), h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', text: c.label ?? def.fields.find((f) => f.name === c.field).label })))), h('tbody', {}, r.data.map((rec) => h('tr', {}, cols.map((c, i) => h('td', {}, i === 0 && view.record ? h('a', { href: `/records/${encodeURIComponent(view.record)}/${encodeURIComponent(rec[def.key[0]])}`, text: rec[c.field] ?? '' }) : String(rec[c.field] ?? '')))))));
      pager.replaceChildren(h('button', { type: 'button', class: 'secondary', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - view.pageSize); load(); }, text: t('list.previous') }), ` ${offset + 1}–${offset + r.data.length} ${t('list.of')} ${r.total} `, h('button', { type: 'button', class: 'secondary', disabled: r.nextCursor === null, onclick: () => { offset += view.pageSize; load(); }, text: t('list.nextPage') }));
    } catch (e) {
      fail(e);
    }
  };
  main.replaceChildren(h('h1', { text: view.label }), h('div', { class: 'bar' }, view.search ? [h('label', { for: 'search', text: t('list.search') }), search] : null, view.filters.length ? [h('label', { for: 'saved-filter', text: t('list.filter') }), filter] : null), table, pager);
  search.addEventListener('input', () => { offset = 0; load(); });
  filter.addEventListener('change', () => { offset = 0; load(); });
  load();
}

async function recordPage() {
  const [, , name, id] = location.pathname.split('/').map(decodeURIComponent);
  const view = appDef.records.find((r) => r.name === name);
  if (!view) return fail(new Error(`${name}?`));
  const def = objectDef(view.object);
  const r = await api('GET', `/api/objects/${view.object}/${encodeURIComponent(id)}`);
  const sections = view.sections.map((s) => h('section', { class: 'panel' }, h('h2', { text: s.label }), recordForm(view.object, s.fields.filter((n) => def.fields.some((f) => f.name === n)), r.data, () => undefined)));
  main.replaceChildren(h('h1', { text: view.label }), h('div', { class: 'grid' }, h('div', {}, sections, callbackSection(def, r.data)), view.timeline ? await timeline(view.object, id) : h('div')));
}

// A callback for this customer without a current contact: the number prefilled from the record.
function callbackSection(def, rec) {
  const phone = def.fields.find((f) => f.type === 'phone' && typeof rec[f.name] === 'string' && rec[f.name]);
  const when = h('input', { id: 'rcb-at', type: 'datetime-local', required: true });
  const num = h('input', { id: 'rcb-number', type: 'tel', maxlength: '32', required: true, value: phone ? rec[phone.name] : '' });
  const note = h('textarea', { id: 'rcb-note', rows: '2', maxlength: '2000' });
  const form = h('form', { id: 'record-callback', onsubmit: async (ev) => {
    ev.preventDefault();
    const at = new Date(when.value);
    if (Number.isNaN(at.getTime())) return when.focus();
    try {
      await api('POST', '/api/callbacks', { at: at.toISOString(), number: num.value, ...(note.value ? { note: note.value } : {}), object: def.name, recordId: rec[def.key[0]] });
      announce(`${t('desktop.callbackScheduled')} ${at.toLocaleString()}`);
      note.value = '';
    } catch (e) {
      fail(e);
    }
  } }, h('label', { for: 'rcb-at', text: t('desktop.callbackAt') }), when, h('label', { for: 'rcb-number', text: t('desktop.callbackNumber') }), num,
  h('label', { for: 'rcb-note', text: t('callbacks.note') }), note, h('p', {}, h('button', { type: 'submit', id: 'btn-record-callback', text: t('desktop.scheduleCallback') })));
  return h('section', { class: 'panel', 'aria-labelledby': 'rcb-title' }, h('h2', { id: 'rcb-title', text: t('callbacks.schedule') }), form);
}

// Scheduled callbacks: agents see theirs, supervisors and administrators everyone's.
async function callbacksPage() {
  const table = h('table', {});
  const load = async () => {
    const r = await api('GET', '/api/callbacks');
    const recordView = (object) => appDef.records.find((x) => x.object === object);
    table.replaceChildren(h('caption', { class: 'visually-hidden', text: t('callbacks.title') }),
      h('thead', {}, h('tr', {}, ['when', 'number', 'queue', 'note', 'by', 'customer', 'action'].map((k) => h('th', { scope: 'col', text: t(`callbacks.${k}`) })))),
      h('tbody', {}, r.data.map((cb) => {
        const when = new Date(cb.at).toLocaleString();
        const view = cb.object ? recordView(cb.object) : null;
        return h('tr', { 'data-callback': cb.callbackId }, h('td', { text: when }), h('td', { text: cb.number }), h('td', { text: cb.queueId }), h('td', { text: cb.note ?? '' }), h('td', { text: cb.scheduledBy ?? '' }),
          h('td', {}, view && cb.recordId ? h('a', { href: `/records/${encodeURIComponent(view.name)}/${encodeURIComponent(cb.recordId)}`, text: `${cb.object} ${cb.recordId}` }) : ''),
          h('td', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('callbacks.cancel')}: ${cb.number}, ${when}`, text: t('callbacks.cancel'), onclick: async () => {
            try {
              await api('DELETE', `/api/callbacks/${encodeURIComponent(cb.callbackId)}`);
              announce(t('callbacks.cancelled'));
              await load();
            } catch (e) {
              fail(e);
            }
          } })));
      })));
    if (r.data.length === 0) table.append(h('tbody', {}, h('tr', {}, h('td', { colspan: '7', text: t('callbacks.none') }))));
  };
  main.replaceChildren(h('h1', { text: t('callbacks.title') }), table);
  await load();
}

async function usersPage() {
  const r = await api('GET', '/api/users');
  main.replaceChildren(h('h1', { text: t('nav.users') }), h('table', {}, h('tbody', {}, r.data.map((u) => h('tr', {}, h('td', { text: u.name }), h('td', { text: u.role }), h('td', { text: u.agentId ?? '' }))))));
}

// ---- self-service ---------------------------------------------------------------------------
function selfServicePage() {
  const name = decodeURIComponent(location.pathname.split('/')[2] ?? '');
  let s = null;
  const typed = {};
  const box = h('div', { class: 'panel', id: 'ss', 'aria-live': 'polite' });
  main.replaceChildren(h('h1', { id: 'ss-title', text: name }), box);
  const render = () => {
    const step = s.step;
    const parts = [h('p', { id: 'prompt', text: step.prompt })];
    if (step.error) parts.push(h('p', { class: 'field-error', role: 'alert', text: step.error }));
    const answer = async (value) => {
      try {
        s = await api('POST', `/api/self-service/sessions/${s.sessionId}/answer`, { value, revision: s.revision });
        render();
      } catch (e) {
        fail(e);
      }
    };
    if (step.kind === 'identify') {
      // The application's <identify>: the key and the second factor, checked by the server before
      // any of the visitor's data is shown or changed.
      // Stage code: the one-time code sent to the e-mail address on file (never shown here).
      const code = step.stage === 'code';
      parts[0] = h('p', { id: 'prompt', text: t(code ? 'ss.identifyCode' : 'ss.identify') });
      const inputs = step.fields.map((f) => h('input', { id: `ss-id-${f.name}`, name: f.name, autocomplete: code ? 'one-time-code' : 'off', inputmode: code ? 'numeric' : 'text', required: 'required', maxlength: '100', value: code ? '' : (typed[f.name] ?? '') }));
      parts.push(h('form', { id: 'ss-identify', onsubmit: (ev) => {
        ev.preventDefault();
        // Kept for the form drawn again after "do not match", so only the wrong field needs typing.
        for (const inp of inputs) typed[inp.name] = inp.value;
        answer(Object.fromEntries(inputs.map((inp) => [inp.name, inp.value])));
      } }, ...step.fields.map((f, i) => h('p', {}, h('label', { for: `ss-id-${f.name}`, text: f.label }), inputs[i])), h('p', {}, h('button', { type: 'submit', id: 'ss-identify-submit', text: t('ss.identifySubmit') }))));
      window.setTimeout(() => inputs[0]?.focus(), 0);
    } else if (step.kind === 'question') {
      if (step.type === 'boolean') parts.push(h('div', { class: 'choices' }, h('button', { type: 'button', onclick: () => answer(true), text: t('yes') }), h('button', { type: 'button', class: 'secondary', onclick: () => answer(false), text: t('no') })));
      else if (step.choices?.length) parts.push(h('div', { class: 'choices' }, step.choices.map((c) => h('button', { type: 'button', class: 'secondary', onclick: () => answer(c.value), text: c.label }))));
      else {
        const inp = h('input', { id: 'answer', 'aria-labelledby': 'prompt', inputmode: step.type === 'digits' || step.type === 'number' ? 'numeric' : 'text' });
        parts.push(h('form', { onsubmit: (ev) => { ev.preventDefault(); answer(step.type === 'number' ? Number(inp.value) : inp.value); } }, inp, h('p', {}, h('button', { type: 'submit', id: 'ss-next', text: t('ss.next') }))));
        window.setTimeout(() => inp.focus(), 0);
      }
    } else if (step.kind === 'info') parts.push(h('button', { type: 'button', onclick: () => answer(null), text: t('ss.next') }));
    else parts.push(h('p', { id: 'ss-done', text: t('ss.done') }));
    if (step.canGoBack) parts.push(h('button', { type: 'button', class: 'secondary', id: 'ss-back', onclick: async () => { s = await api('POST', `/api/self-service/sessions/${s.sessionId}/back`, { revision: s.revision }); render(); }, text: t('ss.back') }));
    if (s.status !== 'ended') parts.push(h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'ss-agent', onclick: async () => {
      try {
        const r = await api('POST', `/api/self-service/sessions/${s.sessionId}/agent`, { channel: 'chat' });
        box.replaceChildren(h('p', { id: 'ss-queued', text: `${t('ss.agentQueued')} ${r.position ?? '–'}` }));
        if (r.chat) visitorChat(r.chat);
      } catch (e) {
        fail(e);
      }
    }, text: t('ss.agent') })));
    box.replaceChildren(...parts);
  };
  api('POST', `/api/self-service/${encodeURIComponent(name)}/sessions`, {}).then((r) => { s = r; csrf = r.csrf; render(); }, fail);
}

// A visitor's chat with an agent (the chat channel's protocol over /ws/chat/customer).
function visitorChat(c) {
  const status = document.getElementById('ss-queued');
  const log = h('ol', { id: 'ss-chat-log', class: 'chat-log', 'aria-live': 'polite', 'aria-label': t('chat.transcript') });
  const input = h('input', { id: 'ss-chat-text', maxlength: '4000', autocomplete: 'off' });
  const send = h('button', { type: 'submit', id: 'ss-chat-send', text: t('chat.send') });
  const seen = new Set();
  // The hub acknowledges the writer's own message with `sent` (the text stays here until then).
  const pending = new Map();
  let sentCount = 0;
  const line = (m) => {
    if (seen.has(m.seq)) return;
    seen.add(m.seq);
    log.append(h('li', { class: `chat-${m.from === 'customer' ? 'agent' : 'customer'}` }, h('strong', { text: `${m.from === 'customer' ? t('chat.you') : t('chat.agent')}: ` }), h('span', { text: m.text })));
  };
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${c.socket}`);
  const end = h('button', { type: 'button', class: 'secondary', id: 'ss-chat-end', text: t('chat.end'), onclick: () => ws.send(JSON.stringify({ type: 'leave' })) });
  const form = h('form', { id: 'ss-chat-form', onsubmit: (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) return;
    const clientId = `c${++sentCount}`;
    pending.set(clientId, input.value);
    ws.send(JSON.stringify({ type: 'message', text: input.value, clientId }));
    input.value = '';
  } }, h('label', { for: 'ss-chat-text', text: t('chat.message') }), h('div', { class: 'bar' }, input, send));
  document.getElementById('ss').append(log, form, h('p', {}, end));
  ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token: c.token })));
  ws.addEventListener('message', (m) => {
    const f = JSON.parse(m.data);
    if (f.type === 'welcome') for (const x of f.transcript) line(x);
    else if (f.type === 'message') line(f);
    else if (f.type === 'sent' && pending.has(f.clientId)) {
      line({ seq: f.seq, from: 'customer', text: pending.get(f.clientId) });
      pending.delete(f.clientId);
    }
    else if (f.type === 'connected') {
      status.textContent = t('chat.agentJoined');
      announce(t('chat.agentJoined'));
    } else if (f.type === 'ended') {
      status.textContent = t('chat.ended');
      input.disabled = true;
      send.disabled = true;
      end.disabled = true;
      announce(t('chat.ended'));
    } else if (f.type === 'error') fail(new Error(f.message));
  });
  input.focus();
}

// ---- start ----------------------------------------------------------------------------------
async function boot() {
  T = await (await fetch('/assets/i18n/en.json')).json();
  if (page === 'self-service') {
    header();
    return selfServicePage();
  }
  if (page === 'login') {
    header();
    return loginPage();
  }
  try {
    const s = await api('GET', '/api/session');
    me = s.user;
    csrf = s.csrf;
    if (me.role === 'anonymous') throw Object.assign(new Error('visitor'), { status: 401 });
  } catch (e) {
    if (e.status === 401) return location.assign('/login');
    throw e;
  }
  appDef = await api('GET', '/api/app');
  // How far the server's clock is from this browser's (a demonstration may run at another moment).
  clockOffset = typeof appDef.serverTime === 'number' ? appDef.serverTime - Date.now() : 0;
  header();
  const pages = { desktop: desktopPage, wallboard: wallboardPage, list: listPage, record: recordPage, users: usersPage, callbacks: callbacksPage };
  await pages[page]?.();
}

boot().catch(fail);
