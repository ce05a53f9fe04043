// natural's package entry loads database drivers: import the modules by file path (see core's tokenize.ts).
import tfidfModule from 'natural/lib/natural/tfidf/index.js';
import tokenizers from 'natural/lib/natural/tokenizers/index.js';
import { tokenize } from './data/index.js';

/**
 * Extractive baselines the model must beat, computed on the same test rows:
 *   lead-N: the first N words of the source (N = median reference length in words);
 *   TF-IDF: the source sentence whose words carry the most TF-IDF weight (IDF from the training sources).
 */

/** Word tokens only (no punctuation), the unit ROUGE counts and lead-N cuts at. */
export function words(text: string): string[] {
  return tokenize(text).filter((t) => /[\p{L}\p{N}]/u.test(t));
}

export function leadN(source: string, n: number): string {
  return words(source).slice(0, n).join(' ');
}

const sentenceTokenizer = new tokenizers.SentenceTokenizer(['Mr.', 'Mrs.', 'Ms.', 'Dr.', 'St.', 'U.S.', 'vs.']);

/**
 * Sentences of a text. Inshorts texts often lack the space after a full stop ("£95.In 2016"), which a sentence
 * tokenizer reads as one word, so a space is put back between a full stop and a capital letter first.
 */
export function sentences(text: string): string[] {
  const spaced = text.replace(/([a-z0-9%)])\.(?=[A-Z])/g, '$1. ');
  const found = sentenceTokenizer.tokenize(spaced).map((s: string) => s.trim()).filter((s: string) => words(s).length > 0);
  return found.length > 0 ? found : [text];
}

export class TfIdfSentencePicker {
  private readonly tfidf = new tfidfModule.TfIdf();

  /** `corpus`: training sources; each is one document for the IDF statistics. */
  constructor(corpus: Iterable<string>) {
    for (const doc of corpus) this.tfidf.addDocument(words(doc));
  }

  /**
   * Score of a sentence = Σ over its distinct words of tf(word in the article) · idf(word), divided by the square root
   * of its length: long sentences gather more weight by size alone, the root only partly cancels that.
   */
  pick(source: string): string {
    const counts = new Map<string, number>();
    for (const w of words(source)) counts.set(w, (counts.get(w) ?? 0) + 1);
    let best = '';
    let bestScore = -Infinity;
    for (const sentence of sentences(source)) {
      const ws = words(sentence);
      const score = [...new Set(ws)].reduce((sum, w) => sum + (counts.get(w) ?? 0) * this.tfidf.idf(w), 0) / Math.sqrt(ws.length);
      if (score > bestScore) {
        bestScore = score;
        best = sentence;
      }
    }
    return best;
  }
}
