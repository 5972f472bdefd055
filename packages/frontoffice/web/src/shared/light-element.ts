/**
 * The base of the pages' components: a Lit element that renders into the light DOM (no shadow root),
 * so the global stylesheet (assets/caruso.css) styles it, `<label for>` reaches its inputs, and the
 * page keeps one document for ids, landmarks and tests. The element itself takes no box
 * (`display: contents`, set through the CSSOM: the content security policy allows no style attribute
 * in markup), so the layout is that of its children as before.
 */
import { LitElement } from 'lit';

export abstract class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.style.display = 'contents';
  }
}
