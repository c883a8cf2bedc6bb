// Progressive enhancement for large uploads: the form posts normally without JavaScript.
// With it, the file is sent by XMLHttpRequest so the page can show how much has gone.
// No inline script or style: the strict CSP stays as it is.

function fieldGroup(input) {
  return input.closest(".govuk-form-group") || input.parentElement;
}

function showError(form, input, message) {
  const group = fieldGroup(input);
  group.classList.add("govuk-form-group--error");
  let error = group.querySelector(".app-upload-error");
  if (!error) {
    error = document.createElement("p");
    error.className = "govuk-error-message app-upload-error";
    error.id = `${input.id}-client-error`;
    input.before(error);
    input.setAttribute("aria-describedby", `${input.getAttribute("aria-describedby") || ""} ${error.id}`.trim());
  }
  error.textContent = "";
  const prefix = document.createElement("span");
  prefix.className = "govuk-visually-hidden";
  prefix.textContent = "Error: ";
  error.append(prefix, message);
  input.focus();
}

function progressPanel(form) {
  const panel = document.createElement("div");
  panel.className = "govuk-form-group app-upload-progress";
  const label = document.createElement("label");
  label.className = "govuk-label";
  label.htmlFor = "upload-progress";
  label.textContent = "Uploading";
  const bar = document.createElement("progress");
  bar.id = "upload-progress";
  bar.max = 100;
  bar.value = 0;
  const status = document.createElement("p");
  status.className = "govuk-body";
  status.setAttribute("aria-live", "polite");
  panel.append(label, bar, status);
  form.append(panel);
  return { bar, status };
}

function replacePage(html) {
  document.open();
  document.write(html);
  document.close();
}

function enhance(form) {
  const input = form.querySelector('input[type="file"]');
  if (!input) return;
  form.addEventListener("submit", (event) => {
    const file = input.files[0];
    const limit = Number(form.dataset.maxSize);
    if (file && limit && file.size > limit) {
      event.preventDefault();
      showError(form, input, `The file must be smaller than ${form.dataset.maxSizeText}`);
      return;
    }
    if (!file) return; // Let the server say what is missing.
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const { bar, status } = progressPanel(form);
    let announced = -1;
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      const percent = Math.floor((progress.loaded / progress.total) * 100);
      bar.value = percent;
      // Screen readers hear every tenth percent, not every event.
      if (Math.floor(percent / 10) !== announced) {
        announced = Math.floor(percent / 10);
        status.textContent = `${percent}% uploaded`;
      }
    });
    request.upload.addEventListener("load", () => {
      status.textContent = "Upload complete. Checking the file…";
    });
    request.addEventListener("load", () => {
      if (request.status === 200 && request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        replacePage(request.responseText);
      }
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      status.textContent = "The upload failed because the connection was lost. Nothing was stored. Try again.";
    });
    request.send(new FormData(form));
  });
}

document.querySelectorAll("form[data-upload-progress]").forEach(enhance);
