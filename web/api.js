// The REST API (/v1) as the app calls it: keys kept in localStorage (a staff member's session in sessionStorage),
// errors as ApiError with words a person reads.

import { t, has, qualityWords } from "./i18n.js";

// The API lives beside /app on the same server (behind a proxy's path prefix too).
export const BASE = new URL("../", document.baseURI);

const KEYS = { public: "savepets.publicKey", staff: "savepets.staff", phone: "savepets.phone" };
const MEMBER = "savepets.member";
export const IDLE_MS = 5 * 60 * 1000; // a staff phone locks after this long unused, as the kiosk does

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  // The route does not exist on this server (an older server without, e.g., Reunite).
  get missingRoute() {
    return this.status === 404 && this.message === "Not Found";
  }

  // What to show: the app's words for the codes it knows, else the server's own message.
  words() {
    const d = this.details;
    if (this.code === "unreachable") return t("unreachable");
    if (this.code === "photos_rejected" && Array.isArray(d.problems) && d.problems.length) {
      return d.problems.map((p) => `${t("photo_n", { n: p.index + 1 })}: ${qualityWords(p.reasons)}`).join("\n");
    }
    if (this.code === "invalid_photo") return t("not_image", { name: d.photo || "photo" });
    if (this.code === "validation_error" && Array.isArray(d.errors)) {
      const fields = { phone: "need_phone", contact_phone: "need_phone", name: "need_name", place: "need_place",
        contact_email: "need_email", code: "code_format" };
      const known = d.errors.map((e) => fields[String(e.field).split(".").pop()]).filter(Boolean);
      if (known.length) return [...new Set(known)].map((k) => t(k)).join("\n");
    }
    if (this.code === "invalid_code") return d.tries_left > 0 ? t("wrong_code", { n: d.tries_left }) : t("no_code");
    if (this.code === "invalid_enrollment_code") return t("bad_enroll");
    if (this.code === "account_locked") return t("pin_locked", { m: Math.max(1, Math.ceil((d.seconds || 60) / 60)) });
    if (this.code === "sign_in_failed") {
      if (d.reason === "wrong_pin") return t("pin_wrong", { n: d.tries_left });
      if (d.reason === "disabled") return t("pin_disabled");
      return t("pin_unknown");
    }
    if (this.code === "invalid_phone") return t("need_phone");
    if (this.code === "rate_limited") return t("err_rate_limited");
    if (this.code === "payload_too_large") return t("err_too_large");
    if (this.code === "unauthorized") return t("err_unauthorized");
    if (this.code === "notify_failed" || this.status === 503) return t("err_notify");
    if (this.code === "forbidden") return this.message || t("err_forbidden");
    if (has("err_" + this.code)) return t("err_" + this.code);
    return this.message || t("err_generic", { msg: this.status });
  }
}

function read(name) {
  try { return JSON.parse(localStorage.getItem(name) || "null"); } catch { return null; }
}

function write(name, value) {
  try {
    if (value === null) localStorage.removeItem(name);
    else localStorage.setItem(name, JSON.stringify(value));
  } catch { /* private mode: kept for this page only */ }
}

export const staff = {
  get: () => read(KEYS.staff),
  set: (value) => write(KEYS.staff, value),
  clear: () => write(KEYS.staff, null),
};

// The staff member signed in on this phone (this tab only: sessionStorage, never localStorage), with the session
// token of POST /v1/staff/session that every staff call sends; until the server's idle time without use.
const idleMs = (m) => (m && m.idle_minutes > 0 ? m.idle_minutes * 60 * 1000 : IDLE_MS);
function stored() {
  try { return JSON.parse(sessionStorage.getItem(MEMBER) || "null"); } catch { return null; }
}
export const member = {
  get() {
    const m = stored();
    return m && Date.now() - m.at < idleMs(m) ? m : null;
  },
  // a member whose idle time has passed on this page (the server is told when the phone locks)
  idle() {
    const m = stored();
    return m && Date.now() - m.at >= idleMs(m) ? m : null;
  },
  set(m) { try { sessionStorage.setItem(MEMBER, JSON.stringify({ ...m, at: Date.now() })); } catch { /* none */ } },
  touch() { const m = member.get(); if (m) member.set(m); },
  clear() { try { sessionStorage.removeItem(MEMBER); } catch { /* none */ } },
};

// The phone locks: the member's session ends on the server (reason on_demand or idle) and on this page.
export async function lock(reason = "on_demand") {
  const m = stored();
  const s = staff.get();
  member.clear();
  if (m && m.session && s) {
    await request(`/v1/staff/session?reason=${reason}`, { method: "DELETE", key: s.key, session: m.session })
      .catch(() => { /* ended already, or the server unreachable: it ends there by itself when idle */ });
  }
}

export const phone = {
  get: () => read(KEYS.phone),
  set: (value) => write(KEYS.phone, value),
  clear: () => write(KEYS.phone, null),
};

export async function request(path, { method = "GET", json, form, key, session, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (session) headers["X-SavePets-Session"] = session;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) body = form;
  let response;
  try {
    response = await fetch(new URL(path.replace(/^\//, ""), BASE), { method, headers, body, signal });
  } catch (exc) {
    if (exc.name === "AbortError") throw exc;
    document.dispatchEvent(new CustomEvent("savepets:unreachable"));
    throw new ApiError(0, "unreachable", t("unreachable"));
  }
  document.dispatchEvent(new CustomEvent("savepets:reachable"));
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(response.status, e.code || `http_${response.status}`, e.message || response.statusText,
      e.details);
  }
  return data;
}

// This browser's public key (role mobile): made once by POST /v1/public/session and kept.
let pending = null;
export async function publicKey() {
  const kept = read(KEYS.public);
  if (kept) return kept;
  pending = pending || request("/v1/public/session", { method: "POST" }).then((s) => {
    write(KEYS.public, s.key);
    return s.key;
  }).finally(() => { pending = null; });
  return pending;
}

// A call with the public key; a key the server no longer knows is replaced once.
export async function asPublic(path, options = {}) {
  try {
    return await request(path, { ...options, key: await publicKey() });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 401) {
      write(KEYS.public, null);
      phone.clear();
      return request(path, { ...options, key: await publicKey() });
    }
    throw exc;
  }
}

// A call of a staff phone: its key, and the signed-in member's session (the call then acts as the member). A session
// the server no longer takes (ended, idle, the member disabled) locks the phone: "savepets:locked" asks the PIN.
export async function asStaff(path, options = {}) {
  const s = staff.get();
  const m = member.get();
  try {
    return await request(path, { ...options, key: s && s.key, session: m && m.session });
  } catch (exc) {
    if (m && m.session && exc instanceof ApiError && exc.status === 401) {
      member.clear();
      document.dispatchEvent(new CustomEvent("savepets:locked"));
    }
    throw exc;
  }
}

export function photosForm(blobs, field = "photos", fields = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") form.append(name, value);
  }
  blobs.forEach((blob, i) => form.append(field, blob, `photo-${i + 1}.jpg`));
  return form;
}

// A stored photo (GET /v1/photos/...) needs the key: fetched once as a blob URL.
const photoCache = new Map();
export async function photoURL(url, key) {
  if (!url) return "";
  if (photoCache.has(url)) return photoCache.get(url);
  const headers = { Authorization: `Bearer ${key}` };
  const s = staff.get(), m = member.get();
  if (s && s.key === key && m && m.session) headers["X-SavePets-Session"] = m.session; // a member's view
  const promise = fetch(new URL(url.replace(/^\//, ""), BASE), { headers })
    .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
    .then((b) => URL.createObjectURL(b));
  photoCache.set(url, promise);
  promise.catch(() => photoCache.delete(url));
  return promise;
}
