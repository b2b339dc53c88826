/*! Assent bootstrap — served as /assent/assent.js. Works with or without `defer`, from a classic <script>.
 *
 * The only hand-written JavaScript of the SDK. It does three things and decides nothing:
 * 1. defines `window.dataLayer` and `window.gtag` (if missing): Google reads only real `Arguments` objects, so Rust
 *    calls this `gtag` through Function.apply;
 * 2. when the inline config (`<script type="application/json" id="assent-config">`, which must come before this
 *    script) has `consent_mode.enabled: true`, pushes the Consent Mode v2 default synchronously — all denied but
 *    security_storage, wait_for_update, optional region — so it precedes any Google tag later in the page (the
 *    wasm module loads asynchronously and could come too late). The config is read here for that one purpose; all
 *    validation happens in Rust, and a broken config leaves this default in place (fail closed);
 * 3. creates `assent.ready` early, then imports the wasm-bindgen module next to this file and calls `boot()`.
 */
(function (w, d) {
  var a = (w.assent = w.assent || {});
  var me = d.currentScript;
  var base = (me && me.src) || location.href;
  var c;
  if (!a.ready) a.ready = new Promise(function (r) { a._ready = r; });
  w.dataLayer = w.dataLayer || [];
  w.gtag = w.gtag || function () { w.dataLayer.push(arguments); };
  try {
    c = JSON.parse(d.getElementById("assent-config").textContent).consent_mode;
  } catch (e) {}
  if (c && c.enabled === true) {
    var o = { wait_for_update: typeof c.wait_for_update == "number" ? c.wait_for_update : 500 };
    "ad_storage ad_user_data ad_personalization analytics_storage functionality_storage personalization_storage security_storage"
      .split(" ").forEach(function (k) { o[k] = k == "security_storage" ? "granted" : "denied"; });
    if (c.region && c.region.length) o.region = c.region;
    w.gtag("consent", "default", o);
    if (c.ads_data_redaction === true) w.gtag("set", "ads_data_redaction", true);
    if (c.url_passthrough === true) w.gtag("set", "url_passthrough", true);
  }
  import(new URL("assent_web.js", base).href)
    .then(function (m) { return m.default().then(function () { m.boot(); }); })
    .catch(function (e) { console.error("Assent: could not load", e); });
})(window, document);
