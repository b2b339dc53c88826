/* Newsletter sign-up through the email service provider's embed (the policy's "EMAIL MARKETING": "a third-party
 * provider to send such emails"). The provider's script remembers the visitor (esp_subscriber cookie) to avoid
 * asking twice. Blocked until the visitor consents to "marketing_email". */
(function () {
  var runs = (window.__standins = window.__standins || []);
  document.cookie = 'esp_subscriber=pending; path=/; max-age=' + 180 * 86400 + '; SameSite=Lax';
  var slot = document.getElementById('newsletter-form');
  if (slot) slot.hidden = false;
  runs.push({ name: 'newsletter', category: 'marketing_email', at: performance.now() });
})();
