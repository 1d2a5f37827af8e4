// Community's public pages: the share control. Without JavaScript the link stays a
// selectable text box; with it, "Copy link" copies it (and phones offer their share sheet).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-share]");
  if (!button) return;
  const input = document.getElementById(button.dataset.share);
  const url = input.value;
  if (navigator.share && matchMedia("(pointer: coarse)").matches) {
    try { await navigator.share({ title: document.title, url }); return; } catch (e) { if (e.name === "AbortError") return; }
  }
  try {
    await navigator.clipboard.writeText(url);
  } catch (e) {
    input.select();
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "Link copied";
  setTimeout(() => { button.textContent = label; }, 2000);
});
