// The users page (admins): add a user, change a role or sites, set a password, remove;
// create and revoke API tokens. Everything goes to /api/users and /api/tokens; the tables
// are then loaded again from the server.
(function () {
  "use strict";
  var sw = window.sitewarden;
  var body = document.getElementById("users-body");
  var errorEl = document.querySelector("[data-users-error]");
  var pwDialog = document.getElementById("password-dialog");

  function sites(text) {
    var list = (text || "").split(/[\s,]+/).filter(Boolean);
    return list.length ? list : null;  // null: every site
  }
  function done(res, message) {
    errorEl.hidden = res.ok;
    errorEl.textContent = res.ok ? "" : sw.failure(res);
    if (res.ok) { sw.toast(message, "ok"); sw.refresh(body); }
    return res.ok;
  }
  function userUrl(name) { return "/api/users/" + encodeURIComponent(name); }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.matches("[data-user-add]")) {
      e.preventDefault();
      var f = form.elements;
      sw.api("POST", "/api/users", { username: f.username.value.trim(), password: f.password.value,
                                     role: f.role.value, sites: sites(f.sites.value) })
        .then(function (res) { if (done(res, sw.t("users.added"))) { form.reset(); } });
    } else if (form.matches("[data-token-add]")) {
      e.preventDefault();
      var t = form.elements;
      var req = { name: t.name.value.trim(), role: t.role.value, sites: sites(t.sites.value) };
      if (t.days.value) { req.expires_ts = Date.now() / 1000 + 86400 * parseInt(t.days.value, 10); }
      sw.api("POST", "/api/tokens", req).then(function (res) {
        if (!done(res, sw.t("tokens.added"))) { return; }
        form.reset();
        var once = document.querySelector("[data-token-once]");
        once.querySelector("[data-token-value]").textContent = res.data.token || "";
        once.hidden = false;
      });
    }
  });

  document.addEventListener("click", function (e) {
    var row = e.target.closest("[data-user]");
    var name = row && row.getAttribute("data-user");
    if (e.target.closest("[data-user-save]")) {
      sw.api("PUT", userUrl(name), { role: row.querySelector("[data-user-role]").value,
                                     sites: sites(row.querySelector("[data-user-sites]").value) })
        .then(function (res) { done(res, sw.t("users.saved")); });
    } else if (e.target.closest("[data-user-remove]")) {
      if (!window.confirm(sw.t("users.confirm_remove", { name: name }))) { return; }
      sw.api("DELETE", userUrl(name)).then(function (res) { done(res, sw.t("users.removed")); });
    } else if (e.target.closest("[data-user-password]")) {
      askPassword(name);
    } else if (e.target.closest("[data-token-revoke]")) {
      var token = e.target.closest("[data-token]").getAttribute("data-token");
      if (!window.confirm(sw.t("tokens.confirm_revoke", { name: token }))) { return; }
      sw.api("DELETE", "/api/tokens/" + encodeURIComponent(token))
        .then(function (res) { done(res, sw.t("tokens.revoked")); });
    }
  });

  function askPassword(name) {
    var input = pwDialog.querySelector("[name=password]");
    input.value = "";
    pwDialog.querySelector("[data-password-user]").textContent = name;
    pwDialog.returnValue = "";
    pwDialog.addEventListener("close", function closed() {
      pwDialog.removeEventListener("close", closed);
      if (pwDialog.returnValue !== "set" || !input.value) { return; }
      sw.api("PUT", userUrl(name), { password: input.value })
        .then(function (res) { done(res, sw.t("users.password_set")); });
    });
    pwDialog.showModal();
  }
})();
