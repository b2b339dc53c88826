/*! Assent (MIT OR Apache-2.0) */
/* Assent bootstrap — served as /assent/assent.js. Load it with a plain <script> (no defer/async) right after the
 * inline config and before any Google tag when Consent Mode is on; with `defer` it still works, but the Consent
 * Mode default then comes after tags placed earlier (the SDK warns when it sees one).
 *
 * The only hand-written JavaScript of the SDK. It decides nothing:
 * 1. defines `window.dataLayer` and `window.gtag` (if missing): Google reads only real `Arguments` objects, so Rust
 *    calls this `gtag` through Function.apply;
 * 2. pushes the Consent Mode v2 default synchronously — all denied but security_storage — when the inline config
 *    (`<script type="application/json" id="assent-config">`) has `consent_mode.enabled: true`, and also when that
 *    config exists but is not valid JSON (it cannot say whether Consent Mode is on: fail closed). All validation
 *    happens in Rust;
 * 3. starts the downloads, glue and wasm in parallel: with a choice cookie the engine alone (`assent_web`); without
 *    one — the banner will be needed — the full build (`assent_full`: engine and interface in one module). The
 *    engine asks for the interface part (`assent_ui`) through `loadUi` only when something must be shown. A config
 *    with `regions` gets the engine's regions builds (`assent_web_regions`, `assent_full_regions`), which read
 *    `regions` and find the visitor's region: every other site is spared their bytes;
 * 4. when a region of the config offers the IAB GPP API (`gpp: true`, or the `us_states` preset not saying `false`),
 *    defines the IAB stub `__gpp` (generic commands answered at once as a stub, `signalStatus: "not ready"`;
 *    listeners kept in `__gpp.events`; other calls wait in `__gpp.queue`), the
 *    `__gppLocator` frame and the `__gppCall` postMessage listener; the engine loads the real API (`assent_gpp`)
 *    through `loadGpp` only when the applied region has `gpp`; elsewhere it calls `__gpp.none`, and the stub answers
 *    from then on that no section applies; where Assent cannot run (invalid config, the engine or the GPP part not
 *    loaded) `__gpp.fail` makes it answer `cmpStatus: "error"`, never ready;
 * 5. creates `assent.ready`; if the engine cannot be loaded it resolves it with an all-denied state carrying
 *    `error`, and nothing optional runs (nothing ever unblocked it).
 */
(function (w, d) {
  var a = (w.assent = w.assent || {});
  var me = d.currentScript;
  var base = (me && me.src) || location.href;
  var el = d.querySelector('script#assent-config[type="application/json"]');
  function url(f) { return new URL(f, base).href; }
  function warn(m) { console.warn("Assent: " + m); }
  var cfg, c, ui, cookie, mod, wasm, glue;
  try { cfg = el && JSON.parse(el.textContent); } catch (e) {}
  cookie = (cfg && cfg.cookie && cfg.cookie.name) || "assent";
  mod = (("; " + d.cookie).indexOf("; " + cookie + "=") < 0 ? "assent_full" : "assent_web") + (cfg && cfg.regions ? "_regions" : "");
  wasm = fetch(url(mod + "_bg.wasm"));
  glue = import(url(mod + ".js"));
  if (!a.ready) a.ready = new Promise(function (r) { a._ready = r; });
  w.dataLayer = w.dataLayer || [];
  w.gtag = w.gtag || function () { w.dataLayer.push(arguments); };
  if (!el) warn("no config before assent.js; Consent Mode's default can only come late");
  c = cfg ? cfg.consent_mode : el && { enabled: true };
  if (c && c.enabled === true) {
    if (w.google_tag_data || d.querySelector('script[src*="/gtag/js"]:not([type="text/plain"])'))
      warn("a Google tag came before assent.js and may run before its consent default");
    var o = { wait_for_update: typeof c.wait_for_update == "number" ? c.wait_for_update : 500 };
    "ad_storage ad_user_data ad_personalization analytics_storage functionality_storage personalization_storage security_storage"
      .split(" ").forEach(function (k) { o[k] = k == "security_storage" ? "granted" : "denied"; });
    if (c.region && c.region.length) o.region = c.region;
    w.gtag("consent", "default", o);
    if (c.ads_data_redaction === true) w.gtag("set", "ads_data_redaction", true);
    if (c.url_passthrough === true) w.gtag("set", "url_passthrough", true);
  }
  var rs = (cfg && cfg.regions) || {}, gpp, k, r;
  for (k in rs) {
    r = rs[k] || {};
    if (r.gpp === true || (r.gpp !== false && (k == "us_states" || r.places == "us_states"))) gpp = 1;
  }
  if (gpp && !w.__gpp) {
    // The IAB stub (CMP API 1.1): generic commands answered at once, listeners kept in `events` with their ids
    // (the real API takes them over), other commands queued. `n` is what the engine said: `none` where the applied
    // region offers no GPP (from then on "loaded", ready, no section applicable: [-1]); `fail` where Assent cannot
    // run (invalid config, engine or GPP part not loaded): "error", never ready, every other command unsuccessful.
    var g, n, v, ping = function () {
      return { gppVersion: "1.1", cmpStatus: n || "stub", cmpDisplayStatus: v ? "visible" : "hidden",
        signalStatus: n == "loaded" ? "ready" : "not ready", supportedAPIs: ["7:usnat"], cmpId: n ? 1 : 0,
        sectionList: [], applicableSections: [-1], gppString: "", parsedSections: {} };
    }, ev = function (name, id, data) {
      return { eventName: name, listenerId: id, data: data, pingData: ping() };
    }, all = function (name, data) {
      g.events.forEach(function (l) { l.callback(ev(name, l.id, data), true); });
    }, say = function (status) {
      if (n) return;
      n = status;
      all("cmpStatus", n);
      if (v) all("cmpDisplayStatus", "visible");
      if (n == "loaded") all("signalStatus", "ready");
      g.queue.splice(0).forEach(function (q) { g.apply(0, q); });
    };
    g = w.__gpp = function (cmd, cb, p) {
      var e = g.events, i, ok, has = cmd == "hasSection" && !!p && n == "loaded";
      if (cmd == "ping") cb(ping(), true);
      else if (cmd == "addEventListener") {
        e.push({ id: ++g.lastId, callback: cb, parameter: p });
        cb(ev("listenerRegistered", g.lastId, true), true);
      } else if (cmd == "removeEventListener") {
        for (i = 0; i < e.length; i++) if (e[i].id == p) { e.splice(i, 1); ok = true; break; }
        cb(ev("listenerRemoved", p, !!ok), true);
      } else if (n) cb(has ? false : null, has);
      else if (cmd == "hasSection" || cmd == "getSection" || cmd == "getField") cb(null, true);
      else g.queue.push(arguments);
    };
    g.queue = [];
    g.events = [];
    g.lastId = 0;
    g.none = function (shows) {
      if (n) return;
      v = shows && !a.get().decided;
      // The interface says when it opens or closes (the preferences reopened, the banner gone with a choice).
      d.addEventListener("assent:ui", function (e) {
        if (v != (v = !!e.detail.shown)) all("cmpDisplayStatus", v ? "visible" : "hidden");
      });
      say("loaded");
    };
    g.fail = function () { say("error"); };
    (function frame() {
      if (w.frames.__gppLocator) return;
      if (!d.body) return setTimeout(frame, 5);
      var f = d.createElement("iframe");
      f.style.display = "none";
      f.name = "__gppLocator";
      d.body.appendChild(f);
    })();
    w.addEventListener("message", function (e) {
      var m = e.data, s = typeof m == "string", c;
      try { if (s) m = JSON.parse(m); } catch (x) { return; }
      c = m && m.__gppCall;
      if (c) w.__gpp(c.command, function (v, ok) {
        var o = { __gppReturn: { returnValue: v, success: ok, callId: c.callId } };
        if (e.source) e.source.postMessage(s ? JSON.stringify(o) : o, "*");
      }, c.parameter, c.version);
    });
  }
  function loadGpp() {
    return Promise.all([import(url("assent_gpp.js")), fetch(url("assent_gpp_bg.wasm"))]).then(function (m) {
      return m[0].default({ module_or_path: m[1] }).then(function () { return m[0]; });
    });
  }
  function loadUi() {
    return ui || (ui = Promise.all([import(url("assent_ui.js")), fetch(url("assent_ui_bg.wasm"))]).then(function (m) {
      return m[0].default({ module_or_path: m[1] }).then(function () { return m[0]; });
    }));
  }
  glue
    .then(function (m) { return m.default({ module_or_path: wasm }).then(function () { m.boot(loadUi, url("lang/"), me && me.getAttribute("data-region"), loadGpp); }); })
    .catch(function (e) {
      console.error("Assent: could not load the engine; nothing optional will run", e);
      if (g) g.fail();
      if (a._ready) a._ready({ categories: { essential: true }, decided: false, error: "not loaded" });
      delete a._ready;
    });
})(window, document);
