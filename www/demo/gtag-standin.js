// Stand-in for gtag.js / GTM: it only keeps what it reads from dataLayer (Google reads Arguments objects only).
(function () {
  var seen = (window.__gtagSeen = []);
  function take(entry) {
    var isArgs = Object.prototype.toString.call(entry) === '[object Arguments]';
    seen.push((isArgs ? 'gtag(' : 'push(') + JSON.stringify(isArgs ? Array.prototype.slice.call(entry) : entry) + ')');
  }
  var dl = (window.dataLayer = window.dataLayer || []);
  dl.forEach(take);
  var push = dl.push;
  dl.push = function () {
    for (var i = 0; i < arguments.length; i++) take(arguments[i]);
    return push.apply(dl, arguments);
  };
})();
