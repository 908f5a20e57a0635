// Nose photos: the rear camera with an outline and the server's quality check in words, auto-capture when the
// picture is good, the album as the other way in; every photo downscaled in the page (long side 1024) as a JPEG.

import { h, clear } from "./dom.js";
import { t, qualityWords } from "./i18n.js";
import { ApiError } from "./api.js";

export const LONG_SIDE = 1024;
// A check every 0.7 s: about 85 a minute while the nose is being aimed at, under the server's default rate limit
// for a key (120 a minute); a refusal for the rate (429) pauses the checks for a while.
const CHECK_EVERY_MS = 700;
const RATE_PAUSE_MS = 10000;
const AUTO_PAUSE_MS = 1200;

// A JPEG of `source` (a video, image or bitmap): the centre square for a camera frame (what the outline shows),
// the whole picture for an album photo; the long side at most LONG_SIDE.
export function toJpeg(source, width, height, square) {
  const side = Math.min(width, height);
  const [sx, sy, sw, sh] = square ? [(width - side) / 2, (height - side) / 2, side, side] : [0, 0, width, height];
  const scale = Math.min(1, LONG_SIDE / Math.max(sw, sh));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(sw * scale);
  canvas.height = Math.round(sh * scale);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(source, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encode"))),
    "image/jpeg", 0.9));
}

export class Capture {
  // options: max photos, autoMax (auto-capture stops after this many), check(blob) -> {ok, reasons} (the server's
  // photo check), onChange(photos, reason) after each change ("add" or "remove").
  constructor({ max = 5, autoMax = 1, check, onChange = () => {} }) {
    this.max = max;
    this.autoMax = autoMax;
    this.check = check;
    this.onChange = onChange;
    this.photos = [];
    this.stream = null;
    this.timer = null;
    this.busy = false;
    this.pausedUntil = 0;
    this.auto = true;
    this.video = h("video", { autoplay: true, playsinline: true, muted: true, "aria-hidden": "true" });
    this.video.muted = true;
    this.camMsg = h("p.cam-msg", {}, t("camera_start"));
    this.quality = h("p.quality", { role: "status", "aria-live": "polite" }, t("camera_guide"));
    this.error = h("p.msg.error.photo-error", { role: "alert", hidden: true });
    this.thumbs = h("ul.thumbs", { "aria-label": t("photos_count", { n: 0, max }) });
    this.count = h("p.count", {});
    this.album = h("input", { type: "file", accept: "image/*", multiple: max > 1, class: "visually-hidden",
      onchange: (e) => this.fromFiles(e.target.files) });
    this.shutterBtn = h("button.btn.primary.shutter", { type: "button", onclick: () => this.shutter() },
      t("take_photo"));
    this.autoBox = h("input", { type: "checkbox", checked: true, onchange: (e) => { this.auto = e.target.checked; } });
    this.el = h("section.capture", {},
      h("div.viewfinder", {}, this.video, h("div.guide", { "aria-hidden": "true" }), this.camMsg),
      this.quality,
      h("div.row.capture-buttons", {},
        this.shutterBtn,
        h("label.btn.album", {}, t("from_album"), this.album)),
      h("label.check.auto", {}, this.autoBox, h("span", {}, t("auto_capture"))),
      this.error, this.thumbs, this.count);
    this.render();
  }

  async start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return this.noCamera();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 960 } },
      });
    } catch {
      return this.noCamera();
    }
    if (!this.el.isConnected) return this.stop();
    this.video.srcObject = this.stream;
    try { await this.video.play(); } catch { /* autoplay refused: frames still arrive on most phones */ }
    this.camMsg.hidden = true;
    this.el.classList.add("live");
    this.render();
    this.loop();
  }

  noCamera() {
    this.el.classList.add("no-camera");
    this.camMsg.textContent = t("camera_none");
    this.shutterBtn.disabled = true;
    this.quality.textContent = "";
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  get full() { return this.photos.length >= this.max; }

  loop() {
    this.timer = setTimeout(async () => {
      if (!this.el.isConnected) return this.stop();
      const wanted = this.auto && !this.full && this.photos.length < this.autoMax && !document.hidden
        && performance.now() > this.pausedUntil;
      if (wanted && !this.busy && this.video.videoWidth) {
        const at = performance.now();
        const blob = await this.frame();
        const verdict = await this.checked(blob);
        if (verdict && verdict.ok && this.auto && !this.full && this.photos.length < this.autoMax) {
          this.add(blob, at);
          this.pausedUntil = performance.now() + AUTO_PAUSE_MS;
        }
      }
      if (this.stream) this.loop();
    }, CHECK_EVERY_MS);
  }

  frame() {
    return toJpeg(this.video, this.video.videoWidth, this.video.videoHeight, true);
  }

  // The server's check of one photo, shown in words; null when it could not be asked (offline).
  async checked(blob) {
    this.busy = true;
    try {
      const verdict = await this.check(blob);
      this.quality.textContent = qualityWords(verdict.reasons);
      this.quality.classList.toggle("good", verdict.ok);
      this.quality.classList.toggle("bad", !verdict.ok);
      return verdict;
    } catch (exc) {
      this.quality.textContent = exc instanceof ApiError ? exc.words() : String(exc);
      this.quality.classList.remove("good");
      this.quality.classList.add("bad");
      if (exc instanceof ApiError && exc.code === "rate_limited") this.pausedUntil = performance.now() + RATE_PAUSE_MS;
      return exc instanceof ApiError && exc.code === "unreachable" ? null : { ok: false, reasons: [] };
    } finally {
      this.busy = false;
    }
  }

  async shutter() {
    if (this.full || !this.video.videoWidth) return;
    const at = performance.now();
    const blob = await this.frame();
    const verdict = await this.checked(blob);
    if (verdict === null || verdict.ok) this.add(blob, at);
  }

  async fromFiles(files) {
    this.showError("");
    const problems = [];
    for (const file of Array.from(files || [])) {
      if (this.full) break;
      const at = performance.now();
      let bitmap;
      try {
        bitmap = await createImageBitmap(file);
      } catch {
        problems.push(t("not_image", { name: file.name }));
        continue;
      }
      const blob = await toJpeg(bitmap, bitmap.width, bitmap.height, false);
      bitmap.close();
      const verdict = await this.checked(blob);
      if (verdict === null || verdict.ok) this.add(blob, at);
      else problems.push(`${file.name}: ${t("photo_refused", { why: qualityWords(verdict.reasons) })}`);
    }
    this.album.value = "";
    this.showError(problems.join("\n"));
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  add(blob, at) {
    if (this.full) return;
    this.photos.push({ blob, url: URL.createObjectURL(blob), at });
    this.render();
    this.onChange(this.photos, "add");
  }

  remove(index) {
    const [gone] = this.photos.splice(index, 1);
    if (gone) URL.revokeObjectURL(gone.url);
    this.render();
    this.onChange(this.photos, "remove");
  }

  // Mark photos the server refused (indexes from details.problems) so that they can be taken again.
  markRefused(indexes) {
    [...this.thumbs.children].forEach((li, i) => li.classList.toggle("refused", indexes.includes(i)));
  }

  reset() {
    this.photos.forEach((p) => URL.revokeObjectURL(p.url));
    this.photos = [];
    this.render();
    this.onChange(this.photos, "remove");
  }

  render() {
    const n = this.photos.length;
    clear(this.thumbs, this.photos.map((p, i) => h("li", {},
      h("img", { src: p.url, alt: t("photo_n", { n: i + 1 }) }),
      h("button.remove", { type: "button", "aria-label": t("remove_photo", { n: i + 1 }),
        onclick: () => this.remove(i) }, "×"))));
    this.count.textContent = `${t("photos_count", { n, max: this.max })}`
      + (this.max > 1 && n < this.max && n < this.autoMax ? ` · ${t("photos_need", { n: this.autoMax - n })}` : "")
      + (n >= this.max ? ` · ${t("photos_full")}` : "");
    this.shutterBtn.disabled = this.full || !this.stream;
    this.album.disabled = this.full;
    this.el.classList.toggle("full", this.full);
  }
}
