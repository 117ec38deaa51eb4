// What a reader sees of each entity name on the page: the characters that
// fit inside the boxes that clip them, with "…" where the frontend cuts the
// rest (text-overflow: ellipsis). Given the names to look for, it answers one
// {name, card, shown} per place a name appears, `card` being the dashboard
// element that shows it (hui-tile-card, hui-generic-entity-row, …).
//
// The frontend renders inside nested shadow roots and slots, so the walk
// follows the flat tree (slot and host) rather than the light DOM.
async (names) => {
  // Widths are measured in the page's own font, once it has loaded.
  await document.fonts.ready;
  const flatParent = (node) => {
    const next = node.assignedSlot || node.parentNode;
    return next instanceof ShadowRoot ? next.host : next;
  };
  const ancestors = function* (node) {
    for (let at = flatParent(node); at && at.nodeType === Node.ELEMENT_NODE; at = flatParent(at)) {
      yield at;
    }
  };
  const clipOf = (node) => {
    const box = { left: -Infinity, right: Infinity, top: -Infinity, bottom: Infinity };
    for (const element of ancestors(node)) {
      const style = getComputedStyle(element);
      const rect = element.getBoundingClientRect();
      if (style.overflowX !== "visible") {
        box.left = Math.max(box.left, rect.left);
        box.right = Math.min(box.right, rect.right);
      }
      if (style.overflowY !== "visible") {
        box.top = Math.max(box.top, rect.top);
        box.bottom = Math.min(box.bottom, rect.bottom);
      }
    }
    return box;
  };
  const cardOf = (node) => {
    for (const element of ancestors(node)) {
      if (/^hui-.*-(card|row)$/.test(element.localName)) return element.localName;
    }
    return null;
  };
  const canvas = document.createElement("canvas").getContext("2d");
  // Half a pixel of slack for sub-pixel layout.
  const fits = (rect, box, right) =>
    rect.left >= box.left - 0.5 &&
    rect.right <= right + 0.5 &&
    rect.top >= box.top - 0.5 &&
    rect.bottom <= box.bottom + 0.5;
  const measure = (node, name) => {
    const start = node.textContent.indexOf(name);
    const box = clipOf(node);
    const range = document.createRange();
    // One box per UTF-16 unit, the unit of DOM offsets.
    const rects = Array.from({ length: name.length }, (_, index) => {
      range.setStart(node, start + index);
      range.setEnd(node, start + index + 1);
      return range.getBoundingClientRect();
    });
    if (rects.every((rect) => fits(rect, box, box.right))) {
      return { name, card: cardOf(node), shown: name };
    }
    // The ellipsis covers the end of the box: what lies under it is hidden.
    canvas.font = getComputedStyle(flatParent(node)).font;
    const right = box.right - canvas.measureText("\u2026").width;
    let shown = 0;
    while (shown < rects.length && fits(rects[shown], box, right)) shown += 1;
    return { name, card: cardOf(node), shown: `${name.slice(0, shown)}\u2026` };
  };
  const found = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.trim();
      if (names.includes(text)) found.push(measure(node, text));
      return;
    }
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(document.body);
  return found;
}
