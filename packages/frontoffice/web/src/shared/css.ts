/**
 * `cssProps({ width: '20px' })`: CSS set through the CSSOM (element.style.setProperty), for the few
 * sizes that are data (a bar's length). The content security policy (style-src 'self') forbids style
 * attributes in markup and Lit's attribute bindings; the CSSOM is allowed. Everything else is a class
 * of assets/caruso.css.
 */
import { nothing } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

class CssProps extends Directive {
  constructor(info: PartInfo) {
    super(info);
    if (info.type !== PartType.ELEMENT) throw new Error('cssProps() belongs on an element, not in an attribute or a text');
  }

  render(_props: Readonly<Record<string, string>>): typeof nothing {
    return nothing;
  }

  override update(part: ElementPart, [props]: [Readonly<Record<string, string>>]): typeof nothing {
    const style = (part.element as HTMLElement | SVGElement).style;
    for (const [k, v] of Object.entries(props)) style.setProperty(k, v);
    return nothing;
  }
}

export const cssProps = directive(CssProps);
