/* CRMOZ in-house usage analytics (first-party: "in-house usage analytics tools" — clicks, scrolls, features
 * accessed, access time). Stand-in: a visitor id cookie (13 months, the longest an exempt audience-measurement
 * cookie may live) and an event queue in localStorage. Blocked until the visitor consents to "analytics". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  var vid = Math.random().toString(36).slice(2, 14);
  document.cookie = 'crmoz_vid=' + vid + '; path=/; max-age=' + 395 * 86400 + '; SameSite=Lax';
  document.cookie = 'crmoz_sid=' + Date.now() + '; path=/; SameSite=Lax';
  var queue = [];
  function record(type, detail) {
    queue.push({ type: type, detail: detail, t: Date.now() });
    try { localStorage.setItem('crmoz_insights_queue', JSON.stringify(queue.slice(-50))); } catch (e) {}
  }
  record('pageview', location.pathname);
  document.addEventListener('click', function (e) {
    var t = e.target && e.target.closest ? e.target.closest('a,button') : null;
    if (t) record('click', t.textContent.trim().slice(0, 40));
  });
  addEventListener('scroll', function () { record('scroll', Math.round(scrollY)); }, { passive: true });
  runs.push({ name: 'insights', category: 'analytics', at: performance.now() });
})();
