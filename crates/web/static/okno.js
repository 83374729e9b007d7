// Okno progressive enhancement. Pages work without it; this only adds conveniences.
// Loaded as a file (CSP forbids inline script).
(function () {
  "use strict";
  // Move focus to the first field with an error so screen-reader and keyboard users land on it.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) { invalid.focus(); }
  });
  // Kiosk mode: return to the home page after two minutes without a touch.
  if (document.body && document.body.classList.contains("kiosk")) {
    var timer;
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.href = "/"; }, 120000);
    };
    ["pointerdown", "keydown"].forEach(function (e) { document.addEventListener(e, reset, { passive: true }); });
    reset();
  }

  // «Распечатать»: buttons that print the page (a refusal at the desk, a справка).
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  // Passkeys (WebAuthn). The server sends options with binary fields in base64url; the browser
  // API wants ArrayBuffers, and the answer goes back in base64url.
  function fromB64u(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    (list || []).forEach(function (c) { c.id = fromB64u(c.id); });
    return list;
  }
  function postJson(url, form, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error(j.detail || "Не удалось выполнить запрос. Попробуйте ещё раз."); }
        return j;
      });
    });
  }
  function say(form, text) {
    var box = form.querySelector("#passkey-error");
    if (box) { box.textContent = text; box.hidden = false; box.focus && box.focus(); }
  }
  function ceremonyFailed(form, e) {
    if (e && (e.name === "NotAllowedError" || e.name === "AbortError")) {
      say(form, "Подтверждение отменено или время истекло. Попробуйте ещё раз.");
    } else if (e && e.name === "InvalidStateError") {
      say(form, "Этот ключ доступа уже добавлен.");
    } else {
      say(form, (e && e.message) || "Не удалось связаться с ключом доступа.");
    }
  }
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  document.querySelectorAll("form[data-passkey-register]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!supported) { return; } // the server explains what is missing
      ev.preventDefault();
      postJson("/api/v1/identity/passkeys/registration", form).then(function (start) {
        var o = start.options.publicKey;
        o.challenge = fromB64u(o.challenge);
        o.user.id = fromB64u(o.user.id);
        ids(o.excludeCredentials);
        return navigator.credentials.create({ publicKey: o }).then(function (cred) {
          var r = cred.response;
          return postJson("/api/v1/identity/passkeys", form, {
            ceremony: start.ceremony,
            name: form.elements.name.value,
            credential: {
              id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
              response: {
                attestationObject: toB64u(r.attestationObject),
                clientDataJSON: toB64u(r.clientDataJSON),
                transports: r.getTransports ? r.getTransports() : undefined
              },
              extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
            }
          });
        });
      }).then(function () {
        window.location.href = "/account/security?passkey=added#passkeys";
      }, function (e) { ceremonyFailed(form, e); });
    });
  });
  document.querySelectorAll("form[data-passkey-sign-in]").forEach(function (form) {
    if (!supported) {
      say(form, "Этот браузер не поддерживает ключи доступа. Выберите другой способ ниже.");
      form.querySelector("button").disabled = true;
      return;
    }
    form.addEventListener("submit", function (ev) {
      if (form.elements.code.value) { return; } // the assertion is filled in: send it
      ev.preventDefault();
      postJson("/api/v1/identity/sign-in/passkey", form).then(function (options) {
        var o = options.publicKey;
        o.challenge = fromB64u(o.challenge);
        ids(o.allowCredentials);
        return navigator.credentials.get({ publicKey: o });
      }).then(function (cred) {
        var r = cred.response;
        form.elements.code.value = JSON.stringify({
          id: cred.id, rawId: toB64u(cred.rawId), type: cred.type,
          response: {
            authenticatorData: toB64u(r.authenticatorData),
            clientDataJSON: toB64u(r.clientDataJSON),
            signature: toB64u(r.signature),
            userHandle: r.userHandle ? toB64u(r.userHandle) : null
          },
          extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
        });
        form.submit();
      }, function (e) { ceremonyFailed(form, e); });
    });
  });
})();

// /verify/{id}: the chosen file is sent to the check (not stored) and the verdict is shown.
(function () {
  "use strict";
  var form = document.getElementById("verify-file");
  if (!form) { return; }
  var input = document.getElementById("verify-input"), out = document.getElementById("verify-file-result");
  input.addEventListener("change", function () {
    var f = input.files[0];
    if (!f) { return; }
    out.className = "alert"; out.textContent = "Проверяем…";
    fetch("/api/v1/documents/" + encodeURIComponent(form.dataset.document) + "/check", {
      method: "POST", body: f, credentials: "same-origin",
      headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": form.dataset.csrf }
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (!res.ok) { out.className = "alert danger"; out.textContent = res.j.detail || res.j.title || "Не удалось проверить файл."; return; }
        if (res.j.unchanged && res.j.genuine) {
          out.className = "alert success"; out.dataset.unchanged = "true";
          out.textContent = "Файл совпадает с выданным документом: он не изменён.";
        } else {
          out.className = "alert danger"; out.dataset.unchanged = "false";
          out.textContent = "Файл отличается от выданного документа: его изменили, или это другой документ.";
        }
      })
      .catch(function () { out.className = "alert danger"; out.textContent = "Не удалось проверить файл: нет связи с сервером."; });
  });
})();
