/**
 * The base of the desktop's components: Lit elements drawn in the light DOM (LightElement), so the page's stylesheet
 * (caruso.css, the only styles the content security policy allows) applies, ids and labels work
 * across components, and tests and assistive technology see one document. Lit escapes every value it
 * puts into a template; no component sets HTML from a string or a style attribute.
 */
import { LightElement } from '../shared/light-element.js';
import type { DesktopStore } from './desktop-store.js';

export abstract class DeskElement extends LightElement {
  static override properties = {
    store: { attribute: false },
    rev: { attribute: false },
  };

  /** The desktop's state. */
  declare store: DesktopStore;
  /** Changes with every change of the store: the parent passes it down so children draw again. */
  declare rev: number;
}
