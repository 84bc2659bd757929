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

// Temporary full access counts down on both sides' pages; when it is over, the page is read
// again (the server has put the access back by then).
function countdownText(seconds) {
  if (seconds <= 0) return "ended";
  const days = Math.floor(seconds / 86400), hours = Math.floor(seconds % 86400 / 3600);
  const minutes = Math.floor(seconds % 3600 / 60);
  if (days) return `${days} d ${hours} h left`;
  if (hours) return `${hours} h ${minutes} min left`;
  if (minutes) return `${minutes} min left`;
  return "less than a minute left";
}

function tickCountdowns() {
  document.querySelectorAll("[data-countdown-until]").forEach((element) => {
    const seconds = (Date.parse(element.dataset.countdownUntil) - Date.now()) / 1000;
    element.textContent = countdownText(seconds);
    if (seconds <= 0 && !element.dataset.reloaded) {
      element.dataset.reloaded = "1";
      setTimeout(() => window.location.reload(), 2000);
    }
  });
}

setInterval(tickCountdowns, 15000);
