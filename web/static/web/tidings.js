/* Tidings: optional enhancements. Every page works without this file. */
"use strict";

/* Highlight in the article body the sentences an AI line cites (when the body is shown). */
function highlightQuotes(quotes) {
  const body = document.querySelector(".body");
  document.querySelectorAll("mark.cited-text").forEach((mark) => mark.replaceWith(...mark.childNodes));
  if (!body) return;
  body.normalize();
  let first = null;
  for (const quote of quotes) {
    const probe = quote.trim().slice(0, 80);
    if (!probe) continue;
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(probe);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, Math.min(node.data.length, at + quote.trim().length));
      const mark = document.createElement("mark");
      mark.className = "cited-text";
      range.surroundContents(mark);
      first = first || mark;
      break;
    }
  }
  if (first) first.scrollIntoView({ behavior: "smooth", block: "center" });
}

document.addEventListener("click", (event) => {
  const cited = event.target.closest(".cited[data-quotes]");
  if (cited) highlightQuotes(cited.dataset.quotes.split("|||"));
});

/* A filter that applies as soon as it changes (the page has a Show button without JavaScript).
   Listened for here, not in an onchange attribute: the Content-Security-Policy allows no inline script. */
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-submit-on-change]") && event.target.form) event.target.form.submit();
});
