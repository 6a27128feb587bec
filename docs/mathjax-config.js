// Loaded by every page after Doxygen's own MathJax set-up (MATHJAX_CODEFILE in Doxyfile).
// Only the TeX web fonts are copied next to the pages, so MathJax must not look for others;
// no image fallback and no network font source either: every page renders offline.
MathJax.Hub.Config({
  "HTML-CSS": { availableFonts: ["TeX"], preferredFont: "TeX", webFont: "TeX", imageFont: null }
});
