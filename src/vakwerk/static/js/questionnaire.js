/*
 * Questionnaires and situational judgement tests: say so when an answer could not be saved.
 *
 * Each answer is saved by htmx as it is given (questionnaire/answer.html, sjt/take.html), in a
 * form marked data-save-failed. The server's refusals (400, 409)
 * come back as a message that htmx swaps in. A save that never reaches the server (no
 * connection) or that fails there (5xx) swaps nothing, so without this script the page would
 * stay silent and the person would believe the answer was kept. This script shows the form's
 * data-save-failed text in #save-error instead; the next save that succeeds clears it. The
 * answer itself is still on the page and is saved with the whole form by its buttons.
 */
(function () {
  "use strict";

  function show(form) {
    const box = document.getElementById("save-error");
    if (!box || !form.dataset.saveFailed) {
      return;
    }
    box.className = "utrecht-alert utrecht-alert--error";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.className = "utrecht-paragraph utrecht-paragraph--distanced";
    text.textContent = form.dataset.saveFailed;
    box.replaceChildren(text);
    box.dataset.shown = "true";
  }

  function clear() {
    const box = document.getElementById("save-error");
    if (box && box.dataset.shown) {
      box.className = "";
      box.removeAttribute("role");
      box.replaceChildren();
      delete box.dataset.shown;
    }
  }

  function formOf(event) {
    const element = event.detail && event.detail.elt;
    return element && element.closest ? element.closest("form[data-save-failed]") : null;
  }

  document.addEventListener("htmx:sendError", function (event) {
    const form = formOf(event);
    if (form) {
      show(form);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && formOf(event)) {
      clear();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    const form = formOf(event);
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (form && (status === 0 || status >= 500)) {
      show(form);
    }
  });
})();
