// natural's SentimentAnalyzer, imported by its file (natural's package entry loads database drivers and prints
// banners). It ships types for sentiment/index.js only.
import type * as NaturalSentiment from 'natural/lib/natural/sentiment/index.js';
// @ts-expect-error -- no declaration file for this module (natural types sentiment/index.js only)
import sentimentAnalyzerModule from 'natural/lib/natural/sentiment/SentimentAnalyzer.js';

const SentimentAnalyzer = sentimentAnalyzerModule as typeof NaturalSentiment.SentimentAnalyzer;

/**
 * The AFINN-165 lexicon baseline (English only), with natural's SentimentAnalyzer: the mean AFINN score of a text's
 * words, with the sign of every word after a negation ("not", "no", "never", "neither") flipped. SST-2 writes "n't"
 * as its own token, which natural's negation list lacks, so it is passed as "not". A positive score is the positive
 * class, a negative one the negative class; a score of 0 (no lexicon word: the case for most short phrases) is the
 * fallback class, the training part's majority.
 */
export class AfinnBaseline {
  private readonly analyzer = new SentimentAnalyzer('English', undefined, 'afinn');

  constructor(
    private readonly positiveClass: number,
    private readonly negativeClass: number,
    private readonly fallbackClass: number,
  ) {}

  score(tokens: readonly string[]): number {
    if (tokens.length === 0) return 0;
    return this.analyzer.getSentiment(tokens.map((t) => (t === "n't" ? 'not' : t)));
  }

  predict(tokens: readonly string[]): { label: number; score: number } {
    const score = this.score(tokens);
    return { label: score > 0 ? this.positiveClass : score < 0 ? this.negativeClass : this.fallbackClass, score };
  }
}
