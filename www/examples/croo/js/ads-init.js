/* Google Ads remarketing (Google Display Network / DoubleClick Campaign Manager integration, policy section
 * "Professional web analytics solutions"). Blocked until the visitor consents to "remarketing". */
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('config', 'AW-1234567890');
(window.__standins = window.__standins || []).push({ name: 'ads-init', category: 'remarketing', at: performance.now() });
