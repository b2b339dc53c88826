/* CRMOZ site preferences (first-party): remembers the visitor's time zone and language for the webinar schedule.
 * Blocked until the visitor consents to "functional". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  var tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  document.cookie = 'crmoz_tz=' + encodeURIComponent(tz) + '; path=/; max-age=' + 365 * 86400 + '; SameSite=Lax';
  localStorage.setItem('crmoz_prefs', JSON.stringify({ tz: tz, lang: navigator.language }));
  var out = document.getElementById('local-time');
  if (out) out.textContent = 'Times shown in ' + tz + '.';
  runs.push({ name: 'preferences', category: 'functional', at: performance.now() });
})();
