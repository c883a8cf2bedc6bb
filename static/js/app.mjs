// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/assets/govuk/govuk-frontend.min.js";
import "/assets/js/upload-progress.mjs";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();
