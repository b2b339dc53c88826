/* Runs inside the Floodlight stand-in frame: sets its cookie, then records that it loaded, in the embedding page. */
document.cookie = '_fl_seen=1; path=/; max-age=' + 30 * 86400 + '; SameSite=Lax';
try {
  var p = window.parent;
  (p.__standins = p.__standins || []).push({ name: 'floodlight-frame', category: 'remarketing', at: p.performance.now() });
} catch (e) {}
