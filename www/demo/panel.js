// The demo's status panel: shows assent.get(), what ran, cookies, dataLayer and events. Not part of the SDK.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var events = [];
  function render() {
    if (window.assent && window.assent.get) $('state').textContent = JSON.stringify(window.assent.get(), null, 2);
    $('ran').textContent = JSON.stringify(window.__assentDemoRan || [], null, 2);
    $('cookies').textContent = document.cookie.split('; ').join('\n');
    $('datalayer').textContent = (window.__gtagSeen || []).join('\n');
    $('events').textContent = events.join('\n');
  }
  document.addEventListener('assent:ready', function () { events.push('assent:ready'); render(); });
  document.addEventListener('assent:change', function (e) {
    events.push('assent:change ' + JSON.stringify(e.detail.categories));
    setTimeout(render, 300);
    render();
  });
  function call(id, fn) {
    $(id).addEventListener('click', function () { window.assent.ready.then(fn).then(function () { setTimeout(render, 300); }); });
  }
  call('api-show', function () { window.assent.show(); });
  call('api-accept', function () { window.assent.acceptAll(); });
  call('api-reject', function () { window.assent.rejectAll(); });
  call('api-analytics', function () { window.assent.set({ analytics: true }); });
  call('api-withdraw', function () { window.assent.withdraw(); });
  if (window.assent && window.assent.ready) window.assent.ready.then(render);
  setInterval(render, 2000);
  render();
})();
