/* PartnerHub portal: small progressive enhancements (everything works without them). */
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#input-id" data-copied-label="Copied">.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.querySelector(button.getAttribute("data-copy-target"));
      if (!input) {
        return;
      }
      var status = document.getElementById(button.getAttribute("aria-describedby"));
      var done = function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied-label");
        }
      };
      input.focus();
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  // Groups of fields for one choice: <fieldset data-shown-when="#select-id"
  // data-shown-value="saml"> is shown only while the select has that value. Without
  // script every group stays visible, and the server ignores the unchosen ones.
  document.querySelectorAll("[data-shown-when]").forEach(function (group) {
    var select = document.querySelector(group.getAttribute("data-shown-when"));
    if (!select) {
      return;
    }
    var show = function () {
      group.hidden = select.value !== group.getAttribute("data-shown-value");
    };
    select.addEventListener("change", show);
    show();
  });
})();
