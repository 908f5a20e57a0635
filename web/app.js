// SavePets on a phone: the views of the app (hash routes), built on the REST API (/v1) of the same server.

import { h, clear, field, message, maskPhone } from "./dom.js";
import { t, language, setLanguage, qualityWords } from "./i18n.js";
import { ApiError, asPublic, asStaff, request, photosForm, photoURL, staff, phone, publicKey, member } from "./api.js";
import { lock } from "./api.js";
import { Capture } from "./camera.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const langButton = document.getElementById("lang");
const REQUIRED_PHOTOS = 5;
const MAX_LOOKUP_PHOTOS = 5;

// What the tests and the curious read: the shutter-to-answer times of this page's look-ups (ms).
const metrics = { timings: [] };
window.savepets = metrics;

let leaving = [];
function onLeave(fn) { leaving.push(fn); }

// ------------------------------------------------------------------------------------------------ the frame
function page(title, ...content) {
  return [
    h("div.bar", {}, h("a.btn.back", { href: backOf(location.hash) }, "‹ ", t("back")), h("h1", {}, title)),
    ...content,
  ];
}

function backOf(hash) {
  if (/^#\/staff\/dog\//.test(hash)) return "#/staff/lookup";
  if (/^#\/staff\/./.test(hash)) return "#/staff";
  return "#/";
}

function showBanner(kind) {
  const text = kind === "offline" ? t("offline") : kind === "unreachable" ? t("unreachable") : "";
  banner.textContent = text;
  banner.hidden = !text;
  banner.dataset.kind = kind || "";
}

function connectivity() {
  if (!navigator.onLine) showBanner("offline");
  else if (banner.dataset.kind === "offline") showBanner("");
}

// Runs `work` with the button showing that it works; an ApiError's words go into `out`.
async function busy(button, out, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = t("working");
  if (out) clear(out);
  try {
    return await work();
  } catch (exc) {
    if (out) clear(out, message("error", exc instanceof ApiError ? exc.words() : String(exc.message || exc)));
    if (!(exc instanceof ApiError)) console.error(exc);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

function input(attrs) { return h("input", { autocomplete: "off", ...attrs }); }

function statusWords(status) { return t(`st_${status}`); }

function img(url, key, alt, cls = "") {
  const el = h(`img${cls ? "." + cls : ""}`, { alt, loading: "lazy" });
  if (url) photoURL(url, key).then((src) => { el.src = src; }).catch(() => el.classList.add("missing"));
  return el;
}

// ------------------------------------------------------------------------------------------------ home
function homeView() {
  const choice = (href, title, hint, cls) => h(`a.choice.${cls}`, { href }, h("strong", {}, title), h("span", {}, hint));
  return [
    h("p.tagline", {}, t("tagline")),
    h("h2.section", {}, t("home_public")),
    h("nav.choices", { "aria-label": t("home_public") },
      choice("#/found", t("found_dog"), t("found_dog_hint"), "found"),
      choice("#/lost", t("lost_dog"), t("lost_dog_hint"), "lost"),
      choice("#/register", t("register_dog"), t("register_dog_hint"), "register")),
    h("a.choice.staff", { href: "#/staff" }, h("strong", {}, t("staff")), h("span", {}, t("staff_hint"))),
  ];
}

// ------------------------------------------------------------------------------------------------ photo checks
const publicCheck = (blob) => asPublic("/v1/photos/check", { method: "POST", form: photosForm([blob], "photo") });
const staffCheck = (blob) => asStaff("/v1/photos/check", { method: "POST", form: photosForm([blob], "photo") });

function capture(options) {
  const c = new Capture(options);
  onLeave(() => c.stop());
  queueMicrotask(() => c.start());
  return c;
}

function refusedPhotos(exc, cap) {
  if (exc instanceof ApiError && Array.isArray(exc.details.problems)) cap.markRefused(exc.details.problems.map((p) => p.index));
}

// ------------------------------------------------------------------------------------------------ I found a dog
function foundView() {
  const out = h("div.out");
  const warm = asPublic("/v1/devices/me").catch(() => {}); // a session and the key's first check, camera starting
  const cap = capture({ max: MAX_LOOKUP_PHOTOS, autoMax: 1, check: (blob) => warm.then(() => publicCheck(blob)) });
  const place = input({ name: "place", required: true, maxlength: 200, placeholder: t("place_hint") });
  const contact = input({ name: "contact", maxlength: 100, inputmode: "email", autocomplete: "email tel" });
  const notes = h("textarea", { name: "notes", maxlength: 500, rows: 2 });
  const where = { lat: null, lon: null };
  const locate = h("button.btn.small", { type: "button", onclick: () => {
    if (!navigator.geolocation) { locate.textContent = t("location_failed"); return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      where.lat = pos.coords.latitude; where.lon = pos.coords.longitude;
      locate.textContent = t("location_added");
    }, () => { locate.textContent = t("location_failed"); }, { timeout: 8000 });
  } }, t("use_location"));
  const send = h("button.btn.primary.big", { type: "submit" }, t("send_report"));
  const form = h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
    e.preventDefault();
    if (!cap.photos.length) return clear(out, message("error", t("need_photo")));
    if (!place.value.trim()) { place.focus(); return clear(out, message("error", t("need_place"))); }
    const startedAt = performance.now();
    busy(send, out, async () => {
      const blobs = cap.photos.map((p) => p.blob);
      let answer;
      try {
        answer = await asPublic("/v1/found", { method: "POST", form: photosForm(blobs, "photos", {
          found_at: new Date().toISOString(), place: place.value.trim(), lat: where.lat, lon: where.lon,
          notes: notes.value.trim(), contact: contact.value.trim() }) });
        answer.kind = "case";
      } catch (exc) {
        refusedPhotos(exc, cap);
        if (!(exc instanceof ApiError && exc.missingRoute)) throw exc;
        // a server without found cases yet: the look-up still tells whether the dog is registered
        const result = await asPublic("/v1/lookup", { method: "POST", form: photosForm(blobs) });
        answer = { kind: "lookup", registered: result.decision === "match", maybe: result.decision === "uncertain" };
      }
      metrics.timings.push({ kind: "found", ms: performance.now() - startedAt });
      clear(main, page(t("found_title"), foundResult(answer)));
    });
  } },
  field(t("place"), place), locate, field(t("your_contact"), contact), field(t("notes"), notes), send, out);
  return page(t("found_title"), h("p.intro", {}, t("found_intro")), cap.el, form);
}

// the reunions worth a person's decision: sure and likely ones (the merely closest lost dogs are left out)
function likely(reunions) {
  return (reunions || []).filter((r) => r.decision !== "no_match");
}

function foundResult(answer) {
  const lines = [];
  let kind = "none";
  if (answer.registered) {
    kind = "yes";
    lines.push(h("p.verdict", {}, t("found_registered")));
    lines.push(h("p", {}, answer.kind === "case" && answer.owner_told !== false ? t("found_owner_told") : t("found_take_it")));
  } else if (answer.maybe || (answer.kind === "case" && likely(answer.reunions).length)) {
    kind = "maybe";
    lines.push(h("p.verdict", {}, t("found_maybe")), h("p", {}, t("found_maybe_more")));
  } else {
    lines.push(h("p.verdict", {}, t("found_not_registered")));
    lines.push(h("p", {}, answer.kind === "case" ? t("found_case_open") : t("found_take_it")));
  }
  if (answer.kind === "case" && answer.days_left != null) lines.push(h("p.hint", {}, t("days_left", { n: answer.days_left })));
  return h(`section.result.${kind}`, { role: "status", dataset: { result: kind } }, ...lines,
    h("div.row", {}, h("a.btn", { href: "#/" }, t("home")),
      h("button.btn.primary", { type: "button", onclick: () => render() }, t("another_found"))));
}

// ------------------------------------------------------------------------------------------------ phone check
// Renders the phone verification into `el` unless this browser's phone is verified; then calls done(number).
async function phoneGate(el, done) {
  const kept = phone.get();
  if (kept && kept.verified) {
    try {
      const state = await asPublic("/v1/me/phone");
      if (state.verified) return done(kept.number);
    } catch (exc) {
      if (exc instanceof ApiError && exc.code === "unreachable") return clear(el, message("error", exc.words()));
    }
    phone.clear();
  }
  const out = h("div.out");
  const number = input({ type: "tel", name: "phone", autocomplete: "tel", inputmode: "tel", required: true,
    maxlength: 32, placeholder: "010-1234-5678" });
  const sendBtn = h("button.btn.primary", { type: "submit" }, t("send_code"));
  const code = input({ name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6,
    pattern: "[0-9]{6}" });
  const verifyBtn = h("button.btn.primary", { type: "submit" }, t("verify"));
  const codeForm = h("form.stack.code-step", { hidden: true, novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    if (!/^[0-9]{6}$/.test(code.value.trim())) return clear(out, message("error", t("code_format")));
    busy(verifyBtn, out, async () => {
      await asPublic("/v1/me/phone/verify", { method: "POST", json: { code: code.value.trim() } });
      phone.set({ number: number.value.trim(), verified: true });
      clear(el);
      done(number.value.trim());
    });
  } }, field(t("code"), code), verifyBtn);
  const phoneForm = h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
    e.preventDefault();
    if (number.value.replace(/\D/g, "").length < 8) return clear(out, message("error", t("need_phone")));
    busy(sendBtn, out, async () => {
      await asPublic("/v1/me/phone", { method: "POST", json: { phone: number.value.trim() } });
      codeForm.hidden = false;
      clear(out, message("info", t("code_sent", { phone: number.value.trim() })));
      code.focus();
    });
  } }, field(t("phone"), number), sendBtn);
  clear(el, h("h2.section", {}, t("verify_title")), h("p.intro", {}, t("verify_intro")), phoneForm, codeForm, out);
  return undefined;
}

function verifiedLine(number) {
  return h("p.verified", {}, t("verified_as", { phone: number }), " ",
    h("button.link", { type: "button", onclick: () => { phone.clear(); render(); } }, t("change_phone")));
}

// ------------------------------------------------------------------------------------------------ my dog is lost
function lostView() {
  const body = h("div");
  phoneGate(body, (number) => ownDogs(body, number));
  return page(t("lost_title"), body);
}

async function ownDogs(body, number) {
  const out = h("div.out");
  clear(body, verifiedLine(number), h("h2.section", {}, t("your_dogs")), out);
  let dogs;
  try {
    dogs = await asPublic("/v1/dogs");
  } catch (exc) {
    return clear(out, message("error", exc.words ? exc.words() : String(exc)));
  }
  if (!dogs.length) return clear(out, message("info", t("no_dogs")));
  const key = await publicKey();
  // the open lost reports of these dogs (none on a server without lost reports yet)
  const reports = new Map();
  try {
    for (const r of (await asPublic("/v1/lost?state=open")).items) reports.set(r.dog_id, r);
  } catch (exc) {
    if (!(exc instanceof ApiError && exc.missingRoute)) console.warn(exc);
  }
  const list = h("ul.dogs");
  for (const dog of dogs) {
    const slot = h("div.lost-form");
    const report = reports.get(dog.id);
    const badge = h(`span.badge.${dog.status}`, {}, statusWords(dog.status));
    let actions;
    if (report) {
      const end = (how, button) => busy(button, slot, async () => {
        await asPublic(`/v1/lost/${encodeURIComponent(report.id)}/${how}`, { method: "POST" });
        badge.className = "badge home";
        badge.textContent = statusWords("home");
        actions.remove();
      });
      const home = h("button.btn.primary", { type: "button", onclick: () => end("home", home) },
        t("found_home", { name: dog.name }));
      const withdraw = h("button.btn", { type: "button", onclick: () => end("withdraw", withdraw) }, t("withdraw"));
      actions = h("div.row.report-actions", {}, home, withdraw);
    } else {
      actions = h("button.btn.primary", { type: "button", onclick: () => lostForm(slot, dog, number, actions) },
        t("report_lost"));
    }
    list.append(h("li.dog", { dataset: { dog: dog.registration_number } },
      img(dog.photos[0] && dog.photos[0].url, key, dog.name, "thumb"),
      h("div.who", {}, h("strong", {}, dog.name), h("span", {}, dog.registration_number), badge,
        report ? h("span.hint", {}, `${report.place} · ${new Date(report.lost_at).toLocaleString(language())}`) : null),
      actions, slot));
  }
  clear(out, list);
}

function localNow() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

function lostForm(slot, dog, number, opener) {
  opener.hidden = true;
  const out = h("div.out");
  const when = input({ type: "datetime-local", name: "lost_at", value: localNow(), max: localNow(), required: true });
  const where = input({ name: "place", maxlength: 200, required: true, placeholder: t("place_hint") });
  const sms = h("input", { type: "radio", name: `channel-${dog.id}`, value: "sms", checked: true });
  const mail = h("input", { type: "radio", name: `channel-${dog.id}`, value: "email" });
  const email = input({ type: "email", name: "email", autocomplete: "email", maxlength: 200 });
  const emailField = field(t("email"), email);
  emailField.hidden = true;
  sms.onchange = mail.onchange = () => { emailField.hidden = !mail.checked; };
  const possible = h("input", { type: "checkbox", name: "notify_possible", checked: true });
  const notes = h("textarea", { name: "notes", maxlength: 500, rows: 2 });
  const send = h("button.btn.primary.big", { type: "submit" }, t("report_lost"));
  const form = h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
    e.preventDefault();
    if (!where.value.trim()) { where.focus(); return clear(out, message("error", t("need_place"))); }
    if (mail.checked && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim())) {
      email.focus();
      return clear(out, message("error", t("need_email")));
    }
    busy(send, out, async () => {
      let text;
      try {
        await asPublic("/v1/lost", { method: "POST", json: {
          dog: dog.id, lost_at: new Date(when.value || Date.now()).toISOString(), place: where.value.trim(),
          channel: mail.checked ? "email" : "sms", language: language(), notify_possible: possible.checked,
          contact_phone: number, contact_email: mail.checked && email.value.trim() ? email.value.trim() : undefined,
          notes: notes.value.trim() || undefined } });
        text = [t("lost_done", { name: dog.name }), t("lost_done_more", { name: dog.name })];
      } catch (exc) {
        if (!(exc instanceof ApiError && exc.missingRoute)) throw exc;
        // a server without lost reports yet: the dog's status says it is lost
        await asPublic(`/v1/dogs/${encodeURIComponent(dog.id)}/status`, { method: "PUT", json: { status: "lost" } });
        text = [t("lost_done", { name: dog.name }), t("lost_done_status", { name: dog.name })];
      }
      const badge = slot.parentElement && slot.parentElement.querySelector(".badge");
      if (badge) { badge.className = "badge lost"; badge.textContent = statusWords("lost"); }
      clear(slot, h("section.result.yes", { role: "status", dataset: { result: "lost" } },
        h("p.verdict", {}, text[0]), h("p", {}, text[1])));
    });
  } },
  field(t("lost_when"), when), field(t("lost_where"), where),
  h("fieldset.choices-inline", {}, h("legend", {}, t("tell_me_by")),
    h("label.check", {}, sms, h("span", {}, t("by_sms"))), h("label.check", {}, mail, h("span", {}, t("by_email")))),
  emailField, h("label.check", {}, possible, h("span", {}, t("notify_possible"))),
  field(t("notes"), notes), send, out);
  clear(slot, form);
  where.focus();
}

// ------------------------------------------------------------------------------------------------ registration
// The photos and the dog's details; `ownerFields` says whether the owner's phone is asked (staff) or known
// (the public: the verified phone). submit(form) sends it with the right key.
function registrationForm({ check, ownerPhone, submit, done }) {
  const out = h("div.out");
  const cap = capture({ max: REQUIRED_PHOTOS, autoMax: REQUIRED_PHOTOS, check });
  const phoneInput = ownerPhone ? null : input({ type: "tel", name: "phone", autocomplete: "off", inputmode: "tel",
    maxlength: 32, placeholder: "010-1234-5678" });
  const ownerName = input({ name: "owner_name", maxlength: 100, autocomplete: ownerPhone ? "name" : "off" });
  const name = input({ name: "name", maxlength: 100, required: true });
  const breed = input({ name: "breed", maxlength: 100 });
  const sex = h("select", { name: "sex" }, ["unknown", "male", "female"].map((s) => h("option", { value: s }, t(s))));
  const birth = input({ type: "date", name: "birth_date", max: localNow().slice(0, 10) });
  const send = h("button.btn.primary.big", { type: "submit" }, t("register"));
  const form = h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
    e.preventDefault();
    if (cap.photos.length !== REQUIRED_PHOTOS) return clear(out, message("error", t("need_photos")));
    const number = ownerPhone || phoneInput.value.trim();
    if (number.replace(/\D/g, "").length < 8) { phoneInput && phoneInput.focus(); return clear(out, message("error", t("need_phone"))); }
    if (!name.value.trim()) { name.focus(); return clear(out, message("error", t("need_name"))); }
    busy(send, out, async () => {
      const fields = { phone: number, owner_name: ownerName.value.trim(), name: name.value.trim(),
        breed: breed.value.trim(), sex: sex.value, birth_date: birth.value || undefined };
      try {
        done(await submit(photosForm(cap.photos.map((p) => p.blob), "photos", fields)));
      } catch (exc) {
        refusedPhotos(exc, cap);
        if (exc instanceof ApiError && exc.code === "already_registered") {
          const dog = (exc.details.match || {}).dog || {};
          clear(out, h("section.result.maybe", { role: "alert", dataset: { result: "already" } },
            h("p.verdict", {}, t("already_title")),
            dog.registration_number ? h("p", {}, t("already_as", { number: dog.registration_number })) : null));
          return;
        }
        throw exc;
      }
    });
  } },
  phoneInput ? field(t("owner_phone"), phoneInput) : null, field(t("owner_name"), ownerName),
  field(t("dog_name"), name), field(t("breed"), breed), field(t("sex"), sex), field(t("birth_date"), birth),
  send, out);
  return [cap.el, form];
}

function registeredResult(result, cardHref) {
  const dog = result.dog;
  return h("section.result.yes", { role: "status", dataset: { result: "registered" } },
    h("p.verdict", {}, t("registered")),
    h("p", {}, dog.name),
    h("p.regno", {}, h("span", {}, t("reg_number")), " ", h("strong", {}, dog.registration_number)),
    dog.needs_review || (result.possible_duplicates || []).length ? h("p.hint", {}, t("review_flag")) : null,
    h("div.row", {}, cardHref ? h("a.btn", { href: cardHref }, t("open_card")) : h("a.btn", { href: "#/" }, t("home")),
      h("button.btn.primary", { type: "button", onclick: () => render() }, t("register_another"))));
}

function registerView() {
  const body = h("div");
  phoneGate(body, (number) => clear(body, verifiedLine(number), h("p.intro", {}, t("register_intro")),
    registrationForm({ check: publicCheck, ownerPhone: number,
      submit: (form) => asPublic("/v1/dogs", { method: "POST", form }),
      done: (result) => clear(body, registeredResult(result)) })));
  return page(t("register_title"), body);
}

// ------------------------------------------------------------------------------------------------ staff
// Whether this server's staff phones ask for a member's PIN (GET /v1/staff/sign-in), asked once a page load.
let pinRequired = null;

function signInView() {
  const body = h("div", {}, message("info", t("working")));
  asStaff("/v1/staff/sign-in").then((state) => {
    pinRequired = state.accounts;
    if (!state.accounts) return render();
    const out = h("div.out");
    const name = input({ name: "member", maxlength: 100, autocomplete: "username" });
    const pin = input({ type: "password", name: "pin", inputmode: "numeric", maxlength: 12,
      autocomplete: "current-password" });
    const go = h("button.btn.primary.big", { type: "submit" }, t("sign_in"));
    clear(body, h("p.intro", {}, t("sign_in_intro")), h("form.stack", { novalidate: true, oninput: () => clear(out),
      onsubmit: (e) => {
        e.preventDefault();
        busy(go, out, async () => {
          // the member's session (POST /v1/staff/session): every later call of this phone acts as them
          const who = await request("/v1/staff/session", { method: "POST", key: staff.get().key,
            json: { name: name.value.trim(), pin: pin.value } });
          member.set(who);
          render();
        }).then(() => { pin.value = ""; });
      } }, field(t("staff_name"), name), field(t("pin"), pin), go, out));
    name.focus();
    return undefined;
  }).catch((exc) => {
    if (exc instanceof ApiError && exc.missingRoute) { pinRequired = false; render(); return; }
    clear(body, message("error", exc instanceof ApiError ? exc.words() : String(exc)));
  });
  return page(t("sign_in_title"), body);
}

function staffView() {
  const s = staff.get();
  if (!s) return enrollView();
  const who = member.get();
  return page(t("staff_title"),
    h("p.who", {}, t("enrolled_as", { org: s.org_name, role: t(`role_${s.role}`) }), " · ", s.name),
    who ? h("p.verified", {}, t("signed_in_as", { name: who.name }), " ",
      h("button.link", { type: "button", onclick: () => lock("on_demand").then(render) }, t("lock"))) : null,
    h("nav.choices", {},
      h("a.choice.found", { href: "#/staff/lookup" }, h("strong", {}, t("lookup")), h("span", {}, t("lookup_intro"))),
      h("a.choice.register", { href: "#/staff/register" }, h("strong", {}, t("staff_register_title")),
        h("span", {}, t("staff_register_hint"))),
      h("a.choice.lost", { href: "#/staff/reunite" }, h("strong", {}, t("reunite")), h("span", {}, t("reunite_hint"))),
      h("a.choice.lists", { href: "#/staff/cases" }, h("strong", {}, t("cases")), h("span", {}, t("cases_hint")))),
    h("button.btn.link", { type: "button", onclick: () => {
      if (window.confirm(t("forget_confirm"))) lock("on_demand").then(() => { staff.clear(); render(); });
    } }, t("forget_device")));
}

// `given`: the code from a link or QR code (#/staff/enroll/ABCD-EFGH-JKMN-PQRS), filled in for the person to send.
function enrollView(given = "") {
  if (staff.get()) { location.hash = "#/staff"; return []; }
  const out = h("div.out");
  const code = input({ name: "code", maxlength: 40, autocapitalize: "characters", placeholder: "ABCD-EFGH-JKMN-PQRS",
    required: true, value: given });
  const name = input({ name: "device", maxlength: 100, value: "Phone" });
  const send = h("button.btn.primary.big", { type: "submit" }, t("enroll"));
  const form = h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
    e.preventDefault();
    if (code.value.replace(/[^0-9a-z]/gi, "").length < 8) return clear(out, message("error", t("bad_enroll")));
    busy(send, out, async () => {
      const got = await request("/v1/devices/enroll", { method: "POST",
        json: { code: code.value.trim(), name: name.value.trim() || undefined } });
      staff.set({ key: got.key, role: got.role, org_name: got.org_name, name: got.name, device_id: got.device_id });
      if (location.hash !== "#/staff") location.hash = "#/staff"; // the code leaves the address bar and history
      else render();
    });
  } }, field(t("enroll_code"), code), field(t("device_name"), name), send, out);
  return page(t("staff_title"), h("p.intro", {}, t("enroll_intro")), form);
}

function needStaff() {
  if (staff.get()) return null;
  location.hash = "#/staff";
  return [];
}

// Look up: an answer after each photo, all photos so far fused (1 to 5).
function staffLookupView() {
  const s = staff.get();
  if (!s) return needStaff();
  const out = h("div.out");
  const answer = h("section.answer", { "aria-live": "polite" });
  let inflight = null;
  // the key's first check (argon2, slow on purpose) runs while the camera starts; photo checks wait for it
  const warm = asStaff("/v1/devices/me").catch(() => {});
  const cap = capture({ max: MAX_LOOKUP_PHOTOS, autoMax: 1, check: (blob) => warm.then(() => staffCheck(blob)),
    onChange: (photos, why) => {
    if (why === "add" && photos.length) lookUp(photos);
    else if (!photos.length) clear(answer);
  } });
  onLeave(() => inflight && inflight.abort());
  async function lookUp(photos) {
    if (inflight) inflight.abort();
    const mine = new AbortController();
    inflight = mine;
    const shutter = photos[photos.length - 1].at;
    clear(out);
    clear(answer, message("info", t("working")));
    try {
      const result = await asStaff("/v1/lookup", { method: "POST", form: photosForm(photos.map((p) => p.blob)),
        signal: mine.signal });
      showAnswer(answer, result, photos, s.key);
      answer.scrollIntoView({ block: "start" });
      const ms = performance.now() - shutter;
      metrics.timings.push({ kind: "lookup", ms });
      answer.dataset.ms = String(Math.round(ms));
    } catch (exc) {
      if (exc.name === "AbortError") return;
      refusedPhotos(exc, cap);
      clear(answer);
      clear(out, message("error", exc instanceof ApiError ? exc.words() : String(exc)));
    } finally {
      if (inflight === mine) inflight = null;
    }
  }
  return page(t("lookup"), h("p.intro", {}, t("lookup_intro")), cap.el, out, answer);
}

function showAnswer(el, result, photos, key) {
  const verdict = h(`div.verdict-box.${result.decision}`, { dataset: { decision: result.decision } },
    h("p.verdict", {}, t(result.decision)), h("p", {}, t(result.reason)));
  const list = h("ul.candidates");
  for (const c of result.candidates || []) {
    const dog = c.dog;
    list.append(h("li", {}, h("button.candidate", { type: "button", dataset: { dog: dog.registration_number },
      onclick: () => compareView(photos, c, key) },
    img(dog.photos[0] && dog.photos[0].url, key, dog.name, "thumb"),
    h("span.who", {}, h("strong", {}, dog.name), h("span", {}, dog.registration_number),
      h("span", {}, `${t(c.decision)} · ${t("score", { s: Math.round(c.score * 100) })}`)),
    h("span.go", { "aria-hidden": "true" }, "›"))));
  }
  clear(el, verdict, list.children.length ? [h("h2.section", {}, t("candidates")), list] : null,
    result.decision !== "match" ? intake(photos) : null);
}

// A dog not surely identified, taken in as a stray: a found case with these photos (POST /v1/found, staff key),
// searched among the lost dogs first, then all dogs; its holding period from the shelter's settings.
function intake(photos) {
  const slot = h("div.intake");
  const open = h("button.btn", { type: "button", onclick: () => {
    open.hidden = true;
    const out = h("div.out");
    const place = input({ name: "intake_place", maxlength: 200, placeholder: t("place_hint") });
    const go = h("button.btn.primary", { type: "submit" }, t("take_in"));
    slot.append(h("form.stack", { novalidate: true, oninput: () => clear(out), onsubmit: (e) => {
      e.preventDefault();
      if (!place.value.trim()) { place.focus(); return clear(out, message("error", t("need_place"))); }
      return busy(go, out, async () => {
        const found = await asStaff("/v1/found", { method: "POST", form: photosForm(photos.map((p) => p.blob),
          "photos", { found_at: new Date(Date.now() - 1000).toISOString(), place: place.value.trim() }) });
        clear(slot, h("section.result.maybe", { role: "status", dataset: { result: "intake" } },
          h("p.verdict", {}, t("taken_in")),
          found.days_left != null ? h("p", {}, t("days_left", { n: found.days_left })) : null,
          likely(found.reunions).length ? h("p", {}, t("taken_in_reunions", { n: likely(found.reunions).length }),
            " ", h("a", { href: "#/staff/reunite" }, t("reunite"))) : null));
      });
    } }, field(t("place"), place), go, out));
    place.focus();
  } }, t("take_in"));
  slot.append(open);
  return slot;
}

// Pinch zoom and pan on one picture (pointer events; double tap resets). Returns the frame element.
function zoomable(imgEl) {
  const frame = h("div.zoom", {}, imgEl);
  const pointers = new Map();
  let scale = 1, x = 0, y = 0, start = null, lastTap = 0;
  const apply = () => { imgEl.style.transform = `translate(${x}px, ${y}px) scale(${scale})`; };
  const reset = () => { scale = 1; x = 0; y = 0; apply(); };
  frame.addEventListener("pointerdown", (e) => {
    try { frame.setPointerCapture(e.pointerId); } catch { /* a pointer the browser no longer tracks */ }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const now = performance.now();
    if (pointers.size === 1 && now - lastTap < 300) reset();
    lastTap = now;
    start = { scale, x, y, pts: new Map(pointers) };
  });
  frame.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId) || !start) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const [a, b] = [...pointers.values()];
    const [a0, b0] = [...start.pts.values()];
    if (pointers.size >= 2 && b && b0) {
      const d = Math.hypot(a.x - b.x, a.y - b.y), d0 = Math.hypot(a0.x - b0.x, a0.y - b0.y) || 1;
      scale = Math.min(6, Math.max(1, start.scale * d / d0));
    } else if (scale > 1 && a0) {
      x = start.x + a.x - a0.x;
      y = start.y + a.y - a0.y;
    }
    apply();
  });
  const up = (e) => { pointers.delete(e.pointerId); start = { scale, x, y, pts: new Map(pointers) }; };
  frame.addEventListener("pointerup", up);
  frame.addEventListener("pointercancel", up);
  frame.addEventListener("wheel", (e) => {
    e.preventDefault();
    scale = Math.min(6, Math.max(1, scale * (e.deltaY < 0 ? 1.15 : 1 / 1.15)));
    if (scale === 1) { x = 0; y = 0; }
    apply();
  }, { passive: false });
  return frame;
}

function compareView(photos, candidate, key) {
  const dog = candidate.dog;
  let index = 0;
  const theirs = h("img", { alt: t("registered_photo", { name: dog.name }) });
  const show = () => {
    const p = dog.photos[index];
    if (p) photoURL(p.url, key).then((src) => { theirs.src = src; }).catch(() => {});
    counter.textContent = `${index + 1} / ${dog.photos.length}`;
  };
  const counter = h("span.counter");
  const step = (d) => { index = (index + d + dog.photos.length) % dog.photos.length; show(); };
  const close = () => { dialog.remove(); document.removeEventListener("keydown", onKey); };
  const onKey = (e) => { if (e.key === "Escape") close(); };
  const dialog = h("div.compare", { role: "dialog", "aria-modal": "true", "aria-label": t("compare") },
    h("div.pane", {}, h("p.pane-title", {}, t("this_photo")),
      zoomable(h("img", { src: photos[photos.length - 1].url, alt: t("this_photo") }))),
    h("div.pane", {}, h("p.pane-title", {}, t("registered_photo", { name: `${dog.name} · ${dog.registration_number}` })),
      zoomable(theirs),
      h("div.row.pager", {}, h("button.btn.small", { type: "button", onclick: () => step(-1) }, "‹ ", t("prev")),
        counter, h("button.btn.small", { type: "button", onclick: () => step(1) }, t("next"), " ›"))),
    h("p.hint", {}, t("zoom_hint")),
    h("div.row", {}, h("button.btn", { type: "button", onclick: close }, t("close")),
      h("a.btn.primary", { href: `#/staff/dog/${encodeURIComponent(dog.id)}`, onclick: close }, t("open_card"))));
  document.addEventListener("keydown", onKey);
  onLeave(close);
  document.body.append(dialog);
  show();
  dialog.querySelector("button").focus();
}

function dogCardView(id) {
  const s = staff.get();
  if (!s) return needStaff();
  const body = h("div", {}, message("info", t("working")));
  const load = async () => {
    let dog;
    try {
      dog = await asStaff(`/v1/dogs/${encodeURIComponent(id)}`);
    } catch (exc) {
      return clear(body, message("error", exc.words ? exc.words() : String(exc)));
    }
    const out = h("div.out");
    const owner = h("div.owner");
    const reveal = h("button.btn.small", { type: "button", onclick: () => askContact() }, t("show_contact"));
    const askContact = () => {
      const reason = input({ name: "reason", maxlength: 200, value: t("contact_reason_default") });
      const go = h("button.btn.primary", { type: "submit" }, t("show_contact"));
      clear(owner, h("form.stack", { onsubmit: (e) => {
        e.preventDefault();
        busy(go, out, async () => {
          const o = await asStaff(`/v1/dogs/${encodeURIComponent(dog.id)}/contact`, { method: "POST",
            json: { reason: reason.value.trim() } });
          clear(owner, h("p", {}, o.name || "—"), h("a.phone", { href: `tel:${o.phone}` }, o.phone));
        });
      } }, field(t("contact_reason"), reason), go));
    };
    if (dog.owner.redacted) clear(owner, h("p.hint", {}, t("other_org")), reveal);
    else clear(owner, h("p", {}, dog.owner.name ? dog.owner.name.slice(0, 1) + "**" : "—"),
      h("p", {}, maskPhone(dog.owner.phone)), reveal);
    const setStatus = (status, button) => busy(button, out, async () => {
      await asStaff(`/v1/dogs/${encodeURIComponent(dog.id)}/status`, { method: "PUT", json: { status } });
      load();
    });
    const statusButton = (status, label) => {
      const b = h(`button.btn.status-${status}`, { type: "button", disabled: dog.status === status,
        onclick: () => setStatus(status, b) }, label);
      return b;
    };
    clear(body,
      h("div.photos", {}, dog.photos.map((p, i) => img(p.url, s.key, t("photo_n", { n: i + 1 })))),
      h("h2.dog-name", {}, dog.name),
      h("dl.facts", {},
        h("dt", {}, t("reg_number")), h("dd.regno", {}, dog.registration_number),
        h("dt", {}, t("breed")), h("dd", {}, dog.breed || "—"),
        h("dt", {}, t("sex")), h("dd", {}, t(dog.sex)),
        h("dt", {}, t("birth_date")), h("dd", {}, dog.birth_date || "—"),
        h("dt", {}, t("status")), h("dd", {}, h(`span.badge.${dog.status}`, {}, statusWords(dog.status)))),
      h("h2.section", {}, t("owner")), owner,
      h("div.row.wrap", {}, statusButton("lost", t("mark_lost")), statusButton("found", t("mark_found")),
        statusButton("home", t("mark_home"))),
      out);
    return undefined;
  };
  load();
  return page(t("dog_card"), body);
}

function staffRegisterView() {
  if (!staff.get()) return needStaff();
  const body = h("div");
  clear(body, h("p.intro", {}, t("register_intro")), registrationForm({ check: staffCheck, ownerPhone: null,
    submit: (form) => asStaff("/v1/dogs", { method: "POST", form }),
    done: (result) => clear(body, registeredResult(result, `#/staff/dog/${encodeURIComponent(result.dog.id)}`)) }));
  return page(t("staff_register_title"), body);
}

function casesView() {
  const s = staff.get();
  if (!s) return needStaff();
  const body = h("div", {}, message("info", t("working")));
  Promise.all([asStaff("/v1/lost?state=open"), asStaff("/v1/found?state=open")]).then(([lost, found]) => {
    const item = (title, sub) => h("li.case", {}, h("strong", {}, title), h("span", {}, sub));
    clear(body,
      h("h2.section", {}, t("lost_reports")),
      lost.items.length ? h("ul.cases", {}, lost.items.map((r) => item(`${r.dog_name} · ${r.registration_number}`,
        `${r.place} · ${new Date(r.lost_at).toLocaleString(language())}`))) : h("p.hint", {}, t("none")),
      h("h2.section", {}, t("found_cases")),
      found.items.length ? h("ul.cases", {}, found.items.map((c) => item(c.place,
        `${new Date(c.found_at).toLocaleString(language())}${c.days_left != null ? " · " + t("days_left", { n: c.days_left }) : ""}`)))
        : h("p.hint", {}, t("none")));
  }).catch((exc) => clear(body, message(exc.missingRoute ? "info" : "error",
    exc.missingRoute ? t("reunite_missing") : exc.words ? exc.words() : String(exc))));
  return page(t("cases"), body);
}

function reuniteView() {
  const s = staff.get();
  if (!s) return needStaff();
  const body = h("div", {}, message("info", t("working")));
  asStaff("/v1/reunions?state=possible").then(({ items: all }) => {
    const items = likely(all);
    if (!items.length) return clear(body, message("info", t("reunions_none")));
    return clear(body, h("ul.reunions", {}, items.map((r) => {
      const out = h("div.out");
      const decide = (what, button) => busy(button, out, async () => {
        await asStaff(`/v1/reunions/${encodeURIComponent(r.id)}/${what}`, { method: "POST" });
        clear(li, message("info", what === "confirm" ? t("confirmed") : t("rejected")));
      });
      const yes = h("button.btn.primary", { type: "button", onclick: () => decide("confirm", yes) }, t("confirm"));
      const no = h("button.btn", { type: "button", onclick: () => decide("reject", no) }, t("reject"));
      const li = h("li.reunion", {},
        h("div.pair", {},
          h("figure", {}, img(r.found_photos[0] && r.found_photos[0].url, s.key, t("found_photo")),
            h("figcaption", {}, t("found_photo"))),
          h("figure", {}, img(r.dog.photos[0] && r.dog.photos[0].url, s.key, r.dog.name),
            h("figcaption", {}, `${r.dog.name} · ${r.dog.registration_number}`))),
        h("p", {}, h(`span.badge.${r.source === "lost" ? "lost" : "home"}`, {}, t(`source_${r.source}`)), " ",
          `${t(r.decision)} · ${t("score", { s: Math.round(r.score * 100) })}`),
        h("div.row", {}, no, yes), out);
      return li;
    })));
  }).catch((exc) => clear(body, message(exc.missingRoute ? "info" : "error",
    exc.missingRoute ? t("reunite_missing") : exc.words ? exc.words() : String(exc))));
  return page(t("reunite"), body);
}

// ------------------------------------------------------------------------------------------------ routing
const ROUTES = [
  [/^#?\/?$/, homeView],
  [/^#\/found$/, foundView],
  [/^#\/lost$/, lostView],
  [/^#\/register$/, registerView],
  [/^#\/staff$/, staffView],
  [/^#\/staff\/enroll\/(.+)$/, (code) => enrollView(decodeURIComponent(code))],
  [/^#\/staff\/lookup$/, staffLookupView],
  [/^#\/staff\/register$/, staffRegisterView],
  [/^#\/staff\/dog\/(.+)$/, (id) => dogCardView(decodeURIComponent(id))],
  [/^#\/staff\/cases$/, casesView],
  [/^#\/staff\/reunite$/, reuniteView],
];

export function render() {
  leaving.forEach((fn) => { try { fn(); } catch { /* already gone */ } });
  leaving = [];
  document.documentElement.lang = language();
  document.title = t("app_name");
  langButton.textContent = t("lang_switch");
  langButton.setAttribute("aria-label", t("lang_switch_label"));
  const hash = location.hash || "#/";
  const [re, view] = ROUTES.find(([pattern]) => pattern.test(hash)) || ROUTES[0];
  // a staff phone's pages wait for a member's PIN where the server has staff accounts (and lock when idle)
  const gated = /^#\/staff/.test(hash) && !/^#\/staff\/enroll\//.test(hash) && staff.get() && !member.get()
    && pinRequired !== false;
  const content = gated ? signInView() : view(...((hash.match(re) || []).slice(1)));
  if (content) clear(main, content);
  main.dataset.view = gated ? "staff-signin" : hash.replace(/^#\/?/, "").split("/").slice(0, 2).join("-") || "home";
  connectivity();
  window.scrollTo(0, 0);
}

langButton.addEventListener("click", () => {
  setLanguage(language() === "ko" ? "en" : "ko");
  render();
});
window.addEventListener("hashchange", render);
// A touch keeps the member's session open here and, once a minute at most, on the server (its idle time).
let pinged = Date.now();
function touched() {
  if (!member.get()) return;
  member.touch();
  if (Date.now() - pinged > 60000) {
    pinged = Date.now();
    asStaff("/v1/staff/session").catch(() => { /* a 401 locks the phone (savepets:locked) */ });
  }
}
document.addEventListener("pointerdown", touched, { passive: true });
document.addEventListener("keydown", touched, { passive: true });
setInterval(() => { // an idle staff phone locks itself: the session ends on the server too
  if (member.idle()) lock("idle").then(() => { if (/^#\/staff/.test(location.hash)) render(); });
  else if (/^#\/staff/.test(location.hash) && staff.get() && pinRequired && !member.get()
    && main.dataset.view !== "staff-signin") render();
}, 15000);
// the server refused the member's session (ended, the member disabled): the PIN again
document.addEventListener("savepets:locked", () => { if (/^#\/staff/.test(location.hash)) render(); });
window.addEventListener("online", connectivity);
window.addEventListener("offline", connectivity);
document.addEventListener("savepets:unreachable", () => showBanner(navigator.onLine ? "unreachable" : "offline"));
document.addEventListener("savepets:reachable", () => { if (banner.dataset.kind === "unreachable") showBanner(""); });

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => { /* no offline copy: still works */ });
}
setLanguage(language());
render();
