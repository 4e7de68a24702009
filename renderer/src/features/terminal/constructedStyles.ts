// Lets xterm.js's runtime <style> blocks work under the strict CSP (style-src 'self') without 'unsafe-inline'.
//
// xterm 6's DOM renderer writes its theme, cell dimensions and scrollbar colours into <style> elements it creates
// at runtime. The CSP blocks those (and Chromium logs a violation each time). Constructed stylesheets
// (new CSSStyleSheet + document.adoptedStyleSheets) are CSSOM, which the CSP does not govern, so every <style> the
// page creates from script is handed an inert stand-in element whose text goes into a constructed sheet instead.
// The app itself never creates <style> elements (all CSS ships as files), so nothing else is affected.

let installed = false;

export function installConstructedStyles(doc: Document = document): void {
  if (installed || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in doc)) return;
  installed = true;
  const create = doc.createElement.bind(doc) as (tag: string, options?: ElementCreationOptions) => HTMLElement;
  const adopt = (sheet: CSSStyleSheet) => {
    if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  };
  const drop = (sheet: CSSStyleSheet) => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
  };
  doc.createElement = function createElement(tag: string, options?: ElementCreationOptions) {
    if (String(tag).toLowerCase() !== 'style') return create(tag, options);
    // An unknown element renders nothing once hidden and is never subject to style-src.
    const stand = create('gh-style');
    stand.hidden = true;
    const sheet = new CSSStyleSheet();
    let text = '';
    Object.defineProperty(stand, 'textContent', {
      get: () => text,
      set: (v: string | null) => {
        text = v ?? '';
        sheet.replaceSync(text);
        adopt(sheet);
      },
    });
    const remove = stand.remove.bind(stand);
    stand.remove = () => {
      drop(sheet);
      remove();
    };
    return stand;
  } as typeof doc.createElement;
}

let spansPatched = false;

/**
 * xterm's DOM renderer also writes true-colour cell colours (selected text included) as `style` attributes on its
 * cell <span>s via setAttribute, which style-src blocks, so selections were not highlighted. Those writes go
 * through CSSOM (element.style.cssText) instead, which the CSP does not govern. Only script calls on <span>s are
 * affected; a style attribute in parsed HTML stays blocked.
 */
export function routeSpanStyleAttributes(): void {
  if (spansPatched || typeof HTMLSpanElement === 'undefined') return;
  spansPatched = true;
  const original = Element.prototype.setAttribute;
  HTMLSpanElement.prototype.setAttribute = function setAttribute(this: HTMLSpanElement, name: string, value: string) {
    if (name.toLowerCase() === 'style') {
      this.style.cssText = String(value);
      return;
    }
    original.call(this, name, value);
  };
}
