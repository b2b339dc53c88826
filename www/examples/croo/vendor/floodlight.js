/* Runs inside the Floodlight stand-in frame: records that it loaded, in the embedding page. */
try {
  var p = window.parent;
  (p.__standins = p.__standins || []).push({ name: 'floodlight-frame', category: 'remarketing', at: p.performance.now() });
} catch (e) {}
document.cookie = '_fl_seen=1; path=/; max-age=' + 30 * 86400 + '; SameSite=Lax';
