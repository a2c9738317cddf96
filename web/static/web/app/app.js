/* Tidings as an installable app: registers the service worker, tells it which articles the reader saved (kept for
   offline reading), and runs the "Download the App" box. Every page works without this file. */
"use strict";

const ARTICLE_PATH = /^\/articles\/\d+\/$/;

/* The saved articles this page shows: an article page's Saved / Save button, or the rows of the saved list. */
function savedChange() {
  const change = { type: "saved", add: [], remove: [], only: false };
  const here = window.location.pathname;
  if (ARTICLE_PATH.test(here)) {
    if (document.querySelector('form[action*="/unsave/article/"]')) change.add.push(here);
    else if (document.querySelector('form[action*="/save/article/"]')) change.remove.push(here);
  } else if (document.querySelector('.items form[action*="/unsave/article/"]')) {
    for (const link of document.querySelectorAll(".items .headline a[href]")) {
      const path = new URL(link.href, window.location.href).pathname;
      if (ARTICLE_PATH.test(path)) change.add.push(path);
    }
    change.only = !document.querySelector(".pagination");
  }
  return change.add.length || change.remove.length ? change : null;
}

async function startServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  const registration = await navigator.serviceWorker.ready;
  const change = savedChange();
  if (change && registration.active) registration.active.postMessage(change);
}

/* "Download the App": the browser's own install prompt where there is one, else how to add it by hand. */
function setUpInstallBox() {
  const box = document.getElementById("install-app");
  if (!box) return;
  const button = document.getElementById("install-app-button");
  const show = (id) => {
    for (const part of box.querySelectorAll(".install-step")) part.hidden = part.id !== id;
  };
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  const appleMobile = /iphone|ipad|ipod/i.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  if (standalone) show("install-done");
  else if (appleMobile) show("install-how-ios");
  let deferred = null;
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault(); // shown from our button, where the reader asked for it
    deferred = event;
    show("install-app-button");
  });
  button.addEventListener("click", async () => {
    if (!deferred) return;
    deferred.prompt();
    const choice = await deferred.userChoice;
    deferred = null;
    show(choice.outcome === "accepted" ? "install-done" : "install-how-other");
  });
  window.addEventListener("appinstalled", () => show("install-done"));
}

/* Signing out: the worker forgets this reader's kept pages (another person may use this device next). */
document.addEventListener("submit", (event) => {
  if (event.target.matches('form[action$="/logout/"]') && navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "forget" });
  }
});

setUpInstallBox();
startServiceWorker().catch((error) => console.warn("Tidings could not start offline reading:", error));
