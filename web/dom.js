// Building the page: h("tag.class", {attributes}, ...children). Text is always set as text, never parsed as HTML.

export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "value") el.value = value;
    else if (name === "checked") el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) add(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

// A labelled field: <label><span>Label</span><input ...></label> with a line for its error.
export function field(label, input, hint) {
  return h("label.field", {}, h("span.label", {}, label), input, hint ? h("span.hint", {}, hint) : null);
}

export function message(kind, text) {
  return h(`p.msg.${kind}`, { role: kind === "error" ? "alert" : "status" }, text);
}

// "010-****-5678" for a phone in any form (E.164 +8210... shown as the national 010...).
export function maskPhone(phone) {
  let digits = String(phone || "").replace(/\D/g, "");
  if (String(phone).startsWith("+82")) digits = "0" + digits.slice(2);
  if (digits.length < 7) return "****";
  return digits.slice(0, 3) + "-****-" + digits.slice(-4);
}
