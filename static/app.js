// Salas: small enhancements on top of plain forms. Everything works without this file.
"use strict";

// Drag (or click) over free time in a timeline row to open the booking form for that slot.
(function () {
  const SLOT = 15;
  let drag = null;

  function slotAt(track, clientX) {
    const r = track.getBoundingClientRect();
    const n = Number(track.dataset.slots);
    return Math.max(0, Math.min(n - 1, Math.floor(((clientX - r.left) / r.width) * n)));
  }

  function hhmm(minutes) {
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0");
  }

  function place(el, a, b) {
    el.className = "selection s" + (Math.min(a, b) + 1) + " e" + (Math.max(a, b) + 2);
  }

  document.addEventListener("pointerdown", function (e) {
    const track = e.target.closest(".track[data-room]");
    if (!track || e.target.closest(".block, .gap, [popover]") || e.button !== 0) return;
    // On a phone the day is an agenda (a list, not a grid): its free gaps are links.
    if (getComputedStyle(track).display !== "grid") return;
    e.preventDefault();
    const a = slotAt(track, e.clientX);
    const sel = document.createElement("span");
    track.appendChild(sel);
    place(sel, a, a);
    drag = { track: track, a: a, b: a, sel: sel };
  });

  document.addEventListener("pointermove", function (e) {
    if (!drag) return;
    drag.b = slotAt(drag.track, e.clientX);
    place(drag.sel, drag.a, drag.b);
  });

  document.addEventListener("pointerup", function () {
    if (!drag) return;
    const t = drag.track, first = Number(t.dataset.firstHour) * 60;
    const lo = Math.min(drag.a, drag.b), hi = Math.max(drag.a, drag.b);
    // A single click books an hour; a drag books what was dragged over.
    const start = first + lo * SLOT, end = hi === lo ? start + 60 : first + (hi + 1) * SLOT;
    drag = null;
    const q = new URLSearchParams({ room: t.dataset.room, date: t.dataset.date, start: hhmm(start), end: hhmm(Math.min(end, 24 * 60 - 1)) });
    window.location.href = "/book?" + q.toString();
  });
})();

// Ask the server about the slot as soon as the booking form opens, not only after a change.
document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("book-form");
  if (form && window.htmx) window.htmx.trigger(form, "change");
});

// Browser notifications (profile page): registers the service worker, subscribes with the
// server's VAPID key and posts the subscription as a form, with the page's CSRF token.
(function () {
  const button = document.querySelector("[data-push-enable]");
  if (!button) return;
  const form = button.closest("form");
  const status = form.querySelector("[data-push-status]");
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = form.dataset.pushUnsupported;
    button.disabled = true;
    return;
  }

  function bytes(b64url) {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4);
    return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
  }

  button.addEventListener("click", async function () {
    try {
      if ((await Notification.requestPermission()) !== "granted") throw new Error(Notification.permission);
      const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      await navigator.serviceWorker.ready;
      const key = (await (await fetch("/api/v1/push/key")).json()).public_key;
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
      const s = subscription.toJSON();
      const body = new URLSearchParams({ csrf: form.elements.csrf.value, endpoint: s.endpoint, p256dh: s.keys.p256dh, auth: s.keys.auth });
      const answer = await fetch(form.dataset.push, { method: "POST", body: body, credentials: "same-origin" });
      if (!answer.ok) throw new Error(await answer.text());
      status.textContent = form.dataset.pushEnabled;
    } catch (e) {
      status.textContent = form.dataset.pushFailed + " " + e.message;
    }
  });
})();
