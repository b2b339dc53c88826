/* Runs inside the share-buttons stand-in frame: sets the providers' cookies and records the run in the embedding page. */
document.cookie = '_fbp=fb.1.' + Date.now() + '.' + Math.floor(Math.random() * 1e9) + '; path=/; max-age=' + 90 * 86400 + '; SameSite=Lax';
document.cookie = 'guest_id=v1%3A' + Date.now() + '; path=/; max-age=' + 395 * 86400 + '; SameSite=Lax';
try {
  var p = window.parent;
  (p.__standins = p.__standins || []).push({ name: 'share-frame', category: 'social', at: p.performance.now() });
} catch (e) {}
