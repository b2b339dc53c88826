// Stand-in for a functional feature, loaded as a module (data-assent-type="module").
document.cookie = 'demo_pref=medium-roast; Max-Age=31536000; Path=/; SameSite=Lax';
(window.__assentDemoRan = window.__assentDemoRan || []).push('prefs.mjs (module)');
