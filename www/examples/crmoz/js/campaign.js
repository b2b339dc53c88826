/* CRMOZ email-campaign attribution ("understand email campaign effectiveness"): keeps the utm_* parameters of the
 * email that brought the visitor. Blocked until the visitor consents to "marketing_email". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  var p = new URLSearchParams(location.search);
  var c = ['utm_source', 'utm_medium', 'utm_campaign'].map(function (k) { return p.get(k) || ''; }).join('|');
  document.cookie = 'crmoz_campaign=' + encodeURIComponent(c || 'direct') + '; path=/; max-age=' + 90 * 86400 + '; SameSite=Lax';
  runs.push({ name: 'campaign', category: 'marketing_email', at: performance.now() });
})();
