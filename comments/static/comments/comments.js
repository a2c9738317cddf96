// Comments without a page reload. Every form works without this script (a post, a redirect and a
// message); with it, forms marked .js-comment are sent with fetch and the server answers JSON:
// {html, message, id, parent_id, count} on success, {error} with 400/403/404/429 otherwise.
(function () {
  "use strict";

  function section() { return document.getElementById("comments"); }

  function say(text, isError) {
    var status = section().querySelector(".comments-status");
    status.textContent = text || "";
    status.classList.toggle("error", Boolean(isError));
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function place(form, data) {
    var node = fragment(data.html);
    var kind = form.dataset.kind;
    if (kind === "post") {
      var item = document.createElement("li");
      item.className = "thread";
      item.appendChild(node);
      var replies = document.createElement("ol");
      replies.className = "replies";
      item.appendChild(replies);
      section().querySelector(".comment-list").appendChild(item);
      var empty = section().querySelector("p.empty");
      if (empty) { empty.remove(); }
    } else if (kind === "reply") {
      var parent = document.getElementById("comment-" + data.parent_id);
      var list = parent.parentElement.querySelector(".replies");
      var li = document.createElement("li");
      li.appendChild(node);
      list.appendChild(li);
    } else {
      var old = document.getElementById("comment-" + data.id);
      if (old) { old.replaceWith(node); }
    }
    var count = section().querySelector(".comment-count");
    if (count && typeof data.count === "number") { count.textContent = String(data.count); }
    node.scrollIntoView({ block: "nearest" });
  }

  async function submit(event) {
    var form = event.target.closest("form.js-comment");
    if (!form) { return; }
    event.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    try {
      var response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "XMLHttpRequest", "Accept": "application/json" },
        credentials: "same-origin",
      });
      var data = await response.json().catch(function () { return { error: "Something went wrong. Please try again." }; });
      if (!response.ok || data.error) {
        say(data.error || "Something went wrong. Please try again.", true);
        return;
      }
      place(form, data);
      if (form.dataset.kind === "post" || form.dataset.kind === "reply") { form.reset(); }
      var details = form.closest("details");
      if (details) { details.open = false; }
      say(data.message, false);
    } catch (error) {
      say("Tidings could not be reached. Check your connection and try again.", true);
    } finally {
      if (button) { button.disabled = false; }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = section();
    if (root) { root.addEventListener("submit", submit); }
  });
})();
