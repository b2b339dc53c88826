/* Stand-in for Google's gtag.js (https://www.googletagmanager.com/gtag/js), served locally: no external network.
 * It behaves like the real library where the consent SDK can observe it:
 *  - it processes window.dataLayer in order, and later pushes: `Arguments` objects are gtag commands, plain
 *    objects are Tag Manager messages ({event: …}), and a plain array is ignored, as the real gtag.js does;
 *  - it keeps the Consent Mode v2 state from `consent default` / `consent update` commands;
 *  - `config` for a G- measurement id sets _ga, _gid and _ga_<id> on the highest settable domain ("auto"
 *    cookie_domain) only while analytics_storage is granted; `config` for an AW- id sets _gcl_au while ad_storage
 *    is granted.
 * What it did is recorded in window.__standins and window.__gtag for the end-to-end tests. */
(function () {
  var w = window;
  var runs = (w.__standins = w.__standins || []);
  runs.push({ name: 'gtag.js', category: 'analytics', at: performance.now() });
  var dl = (w.dataLayer = w.dataLayer || []);
  var st = (w.__gtag = { consent: {}, commands: [], ignored: 0, cookies: [], defaultBeforeCommands: null });
  var TYPES = ['ad_storage', 'ad_user_data', 'ad_personalization', 'analytics_storage',
    'functionality_storage', 'personalization_storage', 'security_storage'];

  function isArgs(x) { return Object.prototype.toString.call(x) === '[object Arguments]'; }
  function granted(type) { return st.consent[type] !== 'denied'; }
  function rand() { return Math.floor(Math.random() * 2147483647); }
  function now() { return Math.floor(Date.now() / 1000); }

  function setCookieAuto(name, value, days) {
    var host = location.hostname;
    var tail = '; path=/; max-age=' + days * 86400 + '; SameSite=Lax';
    if (/^[\d.]+$/.test(host) || host.indexOf('.') < 0) {
      document.cookie = name + '=' + value + tail;
      st.cookies.push(name);
      return;
    }
    var parts = host.split('.');
    for (var i = parts.length - 2; i >= 0; i--) {
      var domain = parts.slice(i).join('.');
      document.cookie = name + '=' + value + '; domain=' + domain + tail;
      if (document.cookie.indexOf(name + '=' + value) !== -1) { st.cookies.push(name + '@' + domain); return; }
    }
  }

  function handle(a) {
    if (Array.isArray(a)) { st.ignored++; return; }
    if (!isArgs(a)) {
      if (a && typeof a === 'object' && a.event) st.commands.push('event ' + a.event);
      return;
    }
    var cmd = a[0];
    if (cmd === 'consent') {
      if (a[1] === 'default' && st.defaultBeforeCommands === null) {
        st.defaultBeforeCommands = !st.commands.some(function (c) { return c === 'js' || c === 'config'; });
      }
      st.commands.push('consent ' + a[1]);
      var v = a[2] || {};
      for (var i = 0; i < TYPES.length; i++) if (v[TYPES[i]]) st.consent[TYPES[i]] = v[TYPES[i]];
      return;
    }
    st.commands.push(String(cmd));
    if (cmd === 'config') {
      var id = String(a[1]);
      if (id.indexOf('G-') === 0 && granted('analytics_storage')) {
        var ga = 'GA1.1.' + rand() + '.' + now();
        setCookieAuto('_ga', ga, 395);
        setCookieAuto('_ga_' + id.slice(2), 'GS2.1.s' + now() + '$o1$g0$t' + now() + '$j60$l0$h0', 395);
        setCookieAuto('_gid', 'GA1.1.' + rand() + '.' + now(), 1);
      }
      if (id.indexOf('AW-') === 0 && granted('ad_storage')) {
        setCookieAuto('_gcl_au', '1.1.' + rand() + '.' + now(), 90);
      }
    }
  }

  for (var i = 0; i < dl.length; i++) handle(dl[i]);
  var push = dl.push;
  dl.push = function () {
    for (var j = 0; j < arguments.length; j++) handle(arguments[j]);
    return push.apply(dl, arguments);
  };
})();
