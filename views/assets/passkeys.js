// Passkey buttons: a form marked data-passkey-register or data-passkey-sign-in carries the
// WebAuthn options the server made for it (data-options); the browser's answer goes back in the
// form's "response" field. No inline script: the pages' CSP allows scripts from this site only.
'use strict';

function showError(form, text) {
  const alert = form.querySelector('[data-passkey-error]');
  if (!alert) return;
  alert.textContent = text;
  alert.setAttribute('role', 'alert');
  alert.hidden = false;
}

// A ceremony the person started shows why it failed; one the page started (autofill) fails quietly.
async function answer(form, ceremony, { quiet = false } = {}) {
  try {
    const response = await ceremony(JSON.parse(form.dataset.options));
    form.elements.response.value = JSON.stringify(response);
    form.submit();
  } catch (error) {
    if (quiet || (error && error.name === 'AbortError')) return;
    showError(form, 'The passkey did not answer: ' + (error && error.message ? error.message : String(error)));
  }
}

const { startRegistration, startAuthentication, browserSupportsWebAuthnAutofill } = window.SimpleWebAuthnBrowser;

for (const form of document.querySelectorAll('form[data-passkey-register]')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    answer(form, (optionsJSON) => startRegistration({ optionsJSON }));
  });
}

for (const form of document.querySelectorAll('form[data-passkey-sign-in]')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    answer(form, (optionsJSON) => startAuthentication({ optionsJSON }));
  });
  // Conditional mediation: the browser offers the passkey in the username field's autofill.
  if (form.hasAttribute('data-autofill')) {
    browserSupportsWebAuthnAutofill().then((supported) => {
      if (supported) answer(form, (optionsJSON) => startAuthentication({ optionsJSON, useBrowserAutofill: true }), { quiet: true });
    });
  }
}
