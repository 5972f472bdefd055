/**
 * The page shells (the pages render in the browser from /api/app and the API; no inline script,
 * no external CDN) and the part of the application definition a role may see.
 */
import type { Application, RoleName } from './common/application.js';
import type { Permissions } from './permissions.js';
import type { RoleApplication } from './common/api-types.js';

const TITLES: Readonly<Record<string, string>> = {
  login: 'Log in',
  desktop: 'Agent desktop',
  wallboard: 'Wallboard',
  users: 'Users',
  list: 'List',
  record: 'Record',
  'self-service': 'Self-service',
  callbacks: 'Scheduled callbacks',
};

function esc(t: string): string {
  return t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function pageHtml(page: string, lang: string): string {
  return `<!doctype html>
<html lang="${esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(TITLES[page] ?? page)} · Caruso</title>
<link rel="stylesheet" href="/assets/caruso.css">
<script type="module" src="/assets/js/main.js"></script>
</head>
<body data-page="${esc(page)}">
<a class="skip" href="#main">Skip to content</a>
<header id="top"></header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<div id="live" class="visually-hidden" aria-live="polite"></div>
</body>
</html>
`;
}

/** What the pages of a role need: its navigation, views and the visible fields of its objects. */
export function applicationForRole(app: Application, permissions: Permissions, role: RoleName): RoleApplication {
  const readable = permissions.readable(role);
  const names = new Set(readable.map((r) => r.object.name));
  const objects = readable.map((r) => ({
    name: r.object.name,
    label: r.object.label,
    key: r.object.key,
    versioned: r.object.versionColumn !== undefined,
    // The fields that name a record (the model's nameFields), those this role sees.
    nameFields: (r.object.nameFields ?? []).filter((f) => r.visible.has(f)),
    actions: [...r.actions],
    fields: r.object.fields
      .filter((f) => r.visible.has(f.name))
      .map((f) => ({ name: f.name, label: f.label, type: f.type, required: f.required, writable: r.writable.has(f.name), options: f.options, length: f.length ?? null, pattern: f.pattern ?? null })),
    relations: r.object.relations.filter((x) => names.has(x.target)).map((x) => ({ name: x.name, kind: x.kind, target: x.target, label: x.label, fields: x.fields, inverse: x.inverse ?? null })),
  }));
  return {
    name: app.name,
    lang: app.lang,
    navigation: app.navigation.find((n) => n.role === role)?.items ?? [],
    lists: app.lists.filter((l) => names.has(l.object)),
    records: app.records.filter((r) => names.has(r.object)),
    objects,
    desktop: role === 'agent' ? app.desktop : { screenPops: [], scripts: [], wrapUpCodes: [], pauseReasons: [] },
    dashboards: app.dashboards.filter((d) => d.roles.includes(role)),
  };
}
