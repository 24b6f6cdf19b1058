// Typeset the math that pymdownx.arithmatex (generic mode) leaves in .arithmatex
// elements, with the KaTeX that gradkit ships for its tour (copied in by docs/hooks.py).
// Material's document$ fires on every page load, instant navigation included.
document$.subscribe(() => {
  document.querySelectorAll(".arithmatex").forEach((element) => {
    const tex = element.textContent.trim();
    const display = tex.startsWith("\\[");
    const body = tex.replace(/^\\\(|\\\)$|^\\\[|\\\]$/g, "");
    katex.render(body, element, { displayMode: display, throwOnError: false });
  });
});
