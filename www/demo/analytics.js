// Stand-in for an analytics tag: sets _ga/_gid cookies and a localStorage key, records that it ran.
(function () {
  var id = 'GA1.1.' + Math.floor(Math.random() * 1e9) + '.' + Math.floor(Date.now() / 1000);
  document.cookie = '_ga=' + id + '; Max-Age=63072000; Path=/; SameSite=Lax';
  document.cookie = '_gid=GA1.1.' + Math.floor(Math.random() * 1e9) + '; Max-Age=86400; Path=/; SameSite=Lax';
  localStorage.setItem('demo_analytics_queue', '[]');
  (window.__assentDemoRan = window.__assentDemoRan || []).push('analytics.js');
  window.demoAnalytics = {
    page: function (path) { (window.__assentDemoRan = window.__assentDemoRan || []).push('analytics:page ' + path); }
  };
})();
