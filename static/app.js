// Small enhancements on top of working HTML: submit the organisation switcher on change,
// and say so when an htmx request fails instead of silently doing nothing.
document.documentElement.classList.add("js");

document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-submit-on-change]");
  if (select && select.value) select.form.requestSubmit();
});

document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const message = status === 403 ? "You are not allowed to do this."
    : status === 404 ? "This no longer exists, or is not yours to see."
    : "Something went wrong. Nothing was lost; please try again.";
  showToast(message);
});

document.addEventListener("htmx:sendError", () => showToast("The portal cannot be reached. Check your connection."));

function showToast(message) {
  let toast = document.getElementById("toast");
  if (!toast) {
    toast = document.createElement("div");
    toast.id = "toast";
    document.body.appendChild(toast);
  }
  toast.innerHTML = "";
  const p = document.createElement("p");
  p.className = "flash flash-error";
  p.setAttribute("role", "alert");
  p.textContent = message;
  toast.appendChild(p);
  setTimeout(() => p.remove(), 6000);
}
