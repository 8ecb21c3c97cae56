// Keyboard shortcuts of the day, week and month views: t today, ←/→ previous/next day, week or
// month, n new booking. The addresses come from the page (the data-* attributes of
// `_views_nav.html`), so this file holds no URLs and the page no inline script.
(function () {
  'use strict';
  var keys = { t: 'today', n: 'new', ArrowLeft: 'prev', ArrowRight: 'next' };

  function typing(el) {
    if (!el || !el.tagName) return false;
    return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  // An arrow key in a region that scrolls sideways (the timeline, the week table) scrolls it.
  function scrollsSideways(el) {
    for (; el && el !== document.body; el = el.parentElement) {
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') return true;
    }
    return false;
  }

  document.addEventListener('keydown', function (e) {
    var which = keys[e.key];
    if (!which || e.defaultPrevented || e.repeat || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var target = e.target;
    if (typing(target)) return;
    if ((which === 'prev' || which === 'next') && scrollsSideways(target)) return;
    var nav = document.querySelector('[data-shortcuts]');
    var url = nav && nav.getAttribute('data-' + which);
    if (!url) return;
    e.preventDefault();
    window.location.assign(url);
  });
})();
