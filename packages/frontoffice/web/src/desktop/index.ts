/**
 * The agent desktop page (`data-page="desktop"`): draws <caruso-desktop> into #main with the state
 * read from GET /api/desktop. main.ts calls it once the session and the application are read.
 */
import type { PageContext } from '../shared/context.js';
import { CarusoDesktop } from './caruso-desktop.js';
import { DesktopStore } from './desktop-store.js';

export function desktopPage(ctx: PageContext, main: HTMLElement = document.getElementById('main')!): CarusoDesktop {
  const store = new DesktopStore(ctx.app, ctx.me, ctx.clockOffset);
  const desk = new CarusoDesktop();
  desk.id = 'desk';
  main.replaceChildren(desk);
  desk.start(store);
  return desk;
}
