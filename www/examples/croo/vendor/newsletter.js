/* Stand-in for a third-party newsletter sign-up widget (Mailchimp-style pop-in). It renders the sign-up form into
 * #newsletter and sets the vendor's visitor cookie. Blocked until the visitor consents to "marketing_email". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  document.cookie = '_mcid=1.' + Math.random().toString(16).slice(2) + '; path=/; max-age=' + 365 * 86400 + '; SameSite=Lax';
  var box = document.getElementById('newsletter');
  runs.push({ name: 'newsletter', category: 'marketing_email', at: performance.now() });
  if (!box) return;
  box.innerHTML = '';
  var form = document.createElement('form');
  form.setAttribute('aria-label', 'Newsletter sign-up');
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  var label = document.createElement('label');
  label.textContent = 'Email for news and offers';
  var input = document.createElement('input');
  input.type = 'email';
  input.name = 'email';
  input.autocomplete = 'email';
  label.appendChild(input);
  var button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Subscribe';
  form.appendChild(label);
  form.appendChild(button);
  box.appendChild(form);
})();
