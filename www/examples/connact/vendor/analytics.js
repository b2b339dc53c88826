/* Stand-in for a third-party web analytics tool (Matomo Cloud-style tracker), served locally: no external network.
 * Like the real one it sets a visitor id cookie (_pk_id.<site>.<hash>, 13 months) and a session cookie
 * (_pk_ses.<site>.<hash>, 30 minutes), and sends a page-view web beacon (an image request). The beacon goes to a
 * local file here. Blocked until the visitor consents to "analytics". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  var id = Math.random().toString(16).slice(2, 18);
  var t = Math.floor(Date.now() / 1000);
  document.cookie = '_pk_id.7.1fff=' + id + '.' + t + '.; path=/; max-age=' + 393 * 86400 + '; SameSite=Lax';
  document.cookie = '_pk_ses.7.1fff=1; path=/; max-age=1800; SameSite=Lax';
  var beacon = new Image(1, 1);
  beacon.alt = '';
  beacon.src = '/examples/connact/vendor/beacon.gif?idsite=7&rec=1&_id=' + id + '&url=' + encodeURIComponent(location.href);
  runs.push({ name: 'analytics', category: 'analytics', at: performance.now() });
})();
