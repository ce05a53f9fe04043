import { escapeXml } from '@rnnkit/core/browser';

/**
 * Attention weights as an HTML page: every token on a background whose strength is its weight relative to the
 * largest weight of its text, with the exact weight in the tooltip. Self-contained (inline CSS, no script), so it
 * opens from the run directory in any browser. Browser-safe.
 */

export interface HighlightedText {
  /** A line above the text, e.g. "true positive, predicted negative (p = 0.93)". */
  caption: string;
  tokens: readonly string[];
  weights: readonly number[];
}

export function attentionHtml(title: string, texts: readonly HighlightedText[], opts: { joinWith: string }): string {
  const blocks = texts.map((t) => {
    const max = Math.max(1e-12, ...t.weights);
    const spans = t.tokens.map((token, i) => {
      const w = t.weights[i] ?? 0;
      const alpha = Math.min(1, w / max).toFixed(3);
      return `<span style="background: rgba(255, 140, 0, ${alpha})" title="${w.toFixed(4)}">${escapeXml(token)}</span>`;
    });
    return `<section>\n<p class="caption">${escapeXml(t.caption)}</p>\n<p class="text">${spans.join(escapeXml(opts.joinWith))}</p>\n</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; }
.caption { color: #555; font-size: 0.9rem; margin-bottom: 0.2rem; }
.text { margin-top: 0; }
.text span { padding: 0.1rem 0.05rem; border-radius: 0.2rem; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p>Each token's background is its attention weight relative to the text's largest; hover for the weight.</p>
${blocks.join('\n')}
</body>
</html>
`;
}
