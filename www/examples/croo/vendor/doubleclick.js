/* Stand-in for the DoubleClick remarketing tag. The real one sets IDE on .doubleclick.net (a third-party cookie);
 * this local stand-in sets an IDE-like cookie first-party plus test_cookie, so the tests can watch them appear
 * and be deleted. It respects ad_storage from the dataLayer consent state, as the real tag does. */
(function () {
  var runs = (window.__standins = window.__standins || []);
  var denied = false;
  (window.dataLayer || []).forEach(function (a) {
    if (Object.prototype.toString.call(a) === '[object Arguments]' && a[0] === 'consent' && a[2] && a[2].ad_storage) {
      denied = a[2].ad_storage === 'denied';
    }
  });
  if (!denied) {
    var id = 'AHWqTU' + Math.random().toString(36).slice(2, 14);
    document.cookie = 'IDE=' + id + '; path=/; max-age=' + 395 * 86400 + '; SameSite=Lax';
    document.cookie = 'test_cookie=CheckForPermission; path=/; max-age=900; SameSite=Lax';
  }
  runs.push({ name: 'doubleclick', category: 'remarketing', at: performance.now() });
})();
