// Stand-in for an ad/remarketing library: sets _gcl_au, exposes window.demoAds for the inline call after it.
(function () {
  document.cookie = '_gcl_au=1.1.' + Math.floor(Math.random() * 1e9) + '; Max-Age=7776000; Path=/; SameSite=Lax';
  (window.__assentDemoRan = window.__assentDemoRan || []).push('ads.js');
  window.demoAds = {
    track: function (name) { (window.__assentDemoRan = window.__assentDemoRan || []).push('ads:' + name); }
  };
})();
