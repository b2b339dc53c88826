/* Stand-in tracker for the benchmark: records when it ran (performance.now(), ms since navigation start) and sets
 * the cookie the real one would. Parameters from its URL: name, cookie. */
(function () {
  var q = new URL(document.currentScript.src).searchParams;
  (window.__standins = window.__standins || []).push({ name: q.get('name'), at: performance.now() });
  if (q.get('cookie')) document.cookie = q.get('cookie') + '=' + Math.random().toString(36).slice(2) + '; path=/; max-age=31536000; SameSite=Lax';
})();
