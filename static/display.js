// Room door display: a ticking clock in the room's time zone, and a clear notice when the server
// cannot be reached. The last state stays on screen meanwhile; the SSE extension reconnects by
// itself, and on reconnection the panel is refreshed (changes may have been missed).
"use strict";
(function () {
  const main = document.querySelector(".door-main");
  if (!main) return;
  const panel = document.getElementById("panel");
  const banner = document.getElementById("offline");
  let clock = null;
  try {
    clock = new Intl.DateTimeFormat(main.dataset.lang, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: main.dataset.timezone });
  } catch (e) {
    clock = new Intl.DateTimeFormat(main.dataset.lang, { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  function tick() {
    const c = document.getElementById("clock");
    if (c) c.textContent = clock.format(new Date());
  }
  window.setInterval(tick, 5000);

  let offlineSince = null;
  function offline() {
    if (offlineSince) return;
    offlineSince = new Date();
    banner.textContent = banner.dataset.template.replace("{time}", clock.format(offlineSince));
    banner.hidden = false;
    main.classList.add("is-offline");
  }
  function online() {
    if (!offlineSince) return;
    offlineSince = null;
    banner.hidden = true;
    main.classList.remove("is-offline");
    if (window.htmx) window.htmx.trigger(panel, "refresh");
  }
  document.body.addEventListener("htmx:sseError", offline);
  document.body.addEventListener("htmx:sendError", offline);
  document.body.addEventListener("htmx:sseOpen", online);
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.successful) online();
  });
  // A revoked token: the page itself now says so.
  document.body.addEventListener("htmx:responseError", function (e) {
    if (e.detail.xhr && e.detail.xhr.status === 404) window.location.reload();
  });
})();
