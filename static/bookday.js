// Salas: the booking form's day panel. A click on a free slot fills the form's times instead of
// reloading the form (the link's own target, which works without this file): the start of the
// gap, for as long as the form's times already say (an hour if they say nothing sensible), cut
// at the gap's end. The live check then runs as after any change.
"use strict";

(function () {
  const panel = document.getElementById("day-panel");
  const form = document.getElementById("book-form");
  if (!panel || !form) return;

  function minutes(hhmm) {
    const m = /^(\d\d):(\d\d)$/.exec(hhmm || "");
    return m ? Number(m[1]) * 60 + Number(m[2]) : null;
  }

  function hhmm(total) {
    const h = Math.floor(total / 60), m = total % 60;
    return String(h).padStart(2, "0") + ":" + String(m).padStart(2, "0");
  }

  panel.addEventListener("click", function (e) {
    const link = e.target.closest("a[data-start]");
    if (!link) return;
    e.preventDefault();
    const start = form.elements.start, end = form.elements.end;
    const multi = form.elements.multi_day;
    const was = multi && multi.checked ? null : [minutes(start.value), minutes(end.value)];
    const length = was && was[0] !== null && was[1] !== null && was[1] > was[0] ? was[1] - was[0] : 60;
    const from = minutes(link.dataset.start);
    // A gap ending at midnight ends at 24:00 in minutes of its day.
    let gapEnd = minutes(link.dataset.end);
    if (gapEnd === null || gapEnd <= from) gapEnd = 24 * 60;
    const to = Math.min(from + length, gapEnd);
    start.value = link.dataset.start;
    end.value = to >= 24 * 60 ? "00:00" : hhmm(to);
    if (multi) multi.checked = false;
    start.dispatchEvent(new Event("change", { bubbles: true }));
    end.focus();
  });
})();
