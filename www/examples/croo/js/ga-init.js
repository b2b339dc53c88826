/* Google Analytics 4 initialisation, exactly the snippet Google gives (kept in a file so the page needs no inline
 * script). Blocked until the visitor consents to "analytics". */
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('js', new Date());
gtag('config', 'G-CROO2026');
(window.__standins = window.__standins || []).push({ name: 'ga-init', category: 'analytics', at: performance.now() });
