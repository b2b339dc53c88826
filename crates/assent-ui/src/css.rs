//! The one stylesheet, applied as a constructable stylesheet (`document.adoptedStyleSheets`): no extra request,
//! no `<style>` element and no `style` attribute, so it works under `style-src 'self'` without `unsafe-inline`.
//!
//! Theme through custom properties on `:root` or any ancestor: `--assent-bg`, `--assent-fg`, `--assent-accent`,
//! `--assent-accent-fg`, `--assent-border`, `--assent-radius`, `--assent-font`, `--assent-z`, `--assent-shadow`,
//! `--assent-focus`. Dark colours follow `prefers-color-scheme`; the slide-in animation is off under
//! `prefers-reduced-motion`. The banner is fixed at the bottom (an overlay): it never moves page content (CLS 0).

/// The stylesheet text.
pub(crate) const CSS: &str = "\
.assent-banner,.assent-prefs,.assent-embed{\
--a-bg:var(--assent-bg,#fff);--a-fg:var(--assent-fg,#1b1b1f);--a-ac:var(--assent-accent,#1f4fd1);\
--a-acf:var(--assent-accent-fg,#fff);--a-bd:var(--assent-border,#8a8a96);--a-r:var(--assent-radius,10px);\
--a-fo:var(--assent-focus,#e0a100);\
font:15px/1.45 var(--assent-font,system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif);\
color:var(--a-fg);background:var(--a-bg);box-sizing:border-box;text-align:start}\
@media (prefers-color-scheme:dark){.assent-banner,.assent-prefs,.assent-embed{\
--a-bg:var(--assent-bg,#1d1e22);--a-fg:var(--assent-fg,#ececf1);--a-ac:var(--assent-accent,#8fb0ff);\
--a-acf:var(--assent-accent-fg,#0b1020);--a-bd:var(--assent-border,#6b6b78)}}\
.assent-banner *,.assent-prefs *,.assent-embed *{box-sizing:border-box}\
.assent-banner{position:fixed;z-index:var(--assent-z,2147483000);inset:auto 12px 12px 12px;max-width:760px;\
margin:0 auto;padding:18px 20px;border:1px solid var(--a-bd);border-radius:var(--a-r);\
box-shadow:var(--assent-shadow,0 8px 30px rgba(0,0,0,.25));max-height:calc(100vh - 24px);overflow:auto}\
.assent-banner h2,.assent-prefs h2{font-size:1.15em;margin:0 0 .4em}\
.assent-banner p,.assent-prefs p{margin:0 0 .75em}\
.assent-banner a,.assent-prefs a{color:inherit;text-decoration:underline}\
.assent-actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:.5em}\
.assent-actions button{flex:1 1 10em}\
.assent-banner button,.assent-prefs button,.assent-embed button{font:inherit;font-weight:600;cursor:pointer;\
min-height:44px;padding:.5em 1em;border-radius:calc(var(--a-r) * .6);border:2px solid var(--a-ac);\
background:var(--a-ac);color:var(--a-acf)}\
.assent-banner :focus-visible,.assent-prefs :focus-visible,.assent-embed :focus-visible{\
outline:3px solid var(--a-fo);outline-offset:2px}\
.assent-gpc{font-weight:700;border-inline-start:4px solid var(--a-ac);padding-inline-start:8px}\
.assent-backdrop{position:fixed;inset:0;z-index:var(--assent-z,2147483000);background:rgba(0,0,0,.5);\
display:flex;align-items:center;justify-content:center;padding:12px}\
.assent-prefs{width:100%;max-width:620px;max-height:calc(100vh - 24px);overflow:auto;padding:20px 22px;\
border-radius:var(--a-r);border:1px solid var(--a-bd)}\
.assent-prefs ul{list-style:none;margin:0 0 .5em;padding:0}\
.assent-prefs li{border-top:1px solid var(--a-bd);padding:.6em 0}\
.assent-prefs label{display:flex;align-items:center;gap:10px;font-weight:600;cursor:pointer}\
.assent-prefs li p{margin:.3em 0 0;font-size:.93em}\
.assent-prefs .assent-on{font-weight:400;font-size:.85em;margin-inline-start:auto}\
.assent-prefs input{appearance:none;flex:none;width:44px;height:24px;border-radius:12px;margin:0;cursor:pointer;\
border:2px solid var(--a-bd);background:var(--a-bg);position:relative}\
.assent-prefs input::after{content:\"\";position:absolute;top:2px;inset-inline-start:2px;width:16px;height:16px;\
border-radius:50%;background:var(--a-bd)}\
.assent-prefs input:checked{background:var(--a-ac);border-color:var(--a-ac)}\
.assent-prefs input:checked::after{inset-inline-start:22px;background:var(--a-acf)}\
.assent-prefs input:disabled{opacity:.6;cursor:not-allowed}\
.assent-prefs input:focus-visible{outline:3px solid var(--a-fo);outline-offset:2px}\
.assent-x{position:absolute;top:8px;inset-inline-end:8px}\
.assent-prefs{position:relative}\
.assent-prefs .assent-x{min-height:36px;padding:.2em .7em;background:transparent;color:var(--a-fg);border-color:var(--a-bd)}\
.assent-embed{display:flex;flex-direction:column;align-items:center;justify-content:center;gap:8px;min-height:150px;\
padding:16px;border:1px dashed var(--a-bd);border-radius:var(--a-r);text-align:center}\
.assent-embed p{margin:0}\
@media (prefers-reduced-motion:no-preference){.assent-banner,.assent-prefs{animation:assent-in .2s ease-out}\
.assent-prefs input::after{transition:inset-inline-start .15s}}\
@keyframes assent-in{from{opacity:0;transform:translateY(8px)}}\
@media print{.assent-banner,.assent-backdrop{display:none}}";
