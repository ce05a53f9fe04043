import type * as tf from '@tensorflow/tfjs';
import { bleu4, distinctN, perplexity, teacherForcedNll, type DecodingRequest } from '@rnnkit/core';
import { bigramModel, mostFrequentResponse, responsesNll, unigramModel } from './baselines.js';
import type { Chatbot } from './chatbot.js';
import type { ChatDataset, EncodedPair } from './data/dataset.js';
import { detokenize, SEP, type Lang } from './data/pairs.js';

/**
 * Held-out evaluation. Perplexity is per response token (EOS included) for the model and for two context-free
 * baselines fitted on the training responses, all over the same tokens and vocabulary. Generated replies are
 * scored with corpus BLEU-4 against the held-out response and with distinct-1/2 (diversity); the "always give the
 * most frequent training response" bot is the diversity floor.
 */

export interface Sample {
  context: string;
  reference: string;
  reply: string;
}

export interface EvalReport {
  heldOutPairs: number;
  scoredTokens: number;
  perplexity: { model: number; unigram: number; bigram: number };
  bleu4: number;
  distinct1: number;
  distinct2: number;
  /** Diversity of the human responses, for scale. */
  referenceDistinct2: number;
  mostFrequentResponse: { text: string; distinct2: number };
  repliesGenerated: number;
  samples: Sample[];
}

/** Summed NLL and scored tokens of the pairs' responses under teacher forcing (core's teacherForcedNll). */
export function modelNll(model: tf.LayersModel, pairs: readonly EncodedPair[], batchSize = 64): { nll: number; tokens: number } {
  return teacherForcedNll(model, pairs.map((p) => p.contextIds), pairs.map((p) => p.responseIds), batchSize);
}

export interface EvaluateOptions {
  /** How the replies are decoded (default: the chatbot's beam search). */
  decode?: DecodingRequest;
  /** Generate replies for at most this many held-out pairs (perplexity always uses all). */
  maxReplies?: number;
  samples?: number;
}

export function evaluateChatbot(bot: Chatbot, data: ChatDataset, opts: EvaluateOptions): EvalReport {
  const held = data.heldOut;
  const trainResponses = data.train.map((p) => p.responseIds);
  const heldResponses = held.map((p) => p.responseIds);
  const V = data.vocab.size;
  const ppl = ({ nll, tokens }: { nll: number; tokens: number }) => perplexity(nll / tokens);
  const model = modelNll(bot.models.train, held);
  const unigram = responsesNll(unigramModel(trainResponses, V), heldResponses);
  const bigram = responsesNll(bigramModel(trainResponses, V), heldResponses);

  const lang = bot.data.lang;
  const toGenerate = held.slice(0, opts.maxReplies ?? held.length);
  const replies = toGenerate.map((p) => bot.reply(contextTurns(p, lang), opts.decode).tokens);
  const references = toGenerate.map((p) => p.response);
  const frequent = mostFrequentResponse(data.train.map((p) => p.response));
  const nSamples = Math.min(opts.samples ?? 5, toGenerate.length);
  return {
    heldOutPairs: held.length,
    scoredTokens: model.tokens,
    perplexity: { model: ppl(model), unigram: ppl(unigram), bigram: ppl(bigram) },
    bleu4: bleu4(replies, references).bleu,
    distinct1: distinctN(replies, 1),
    distinct2: distinctN(replies, 2),
    referenceDistinct2: distinctN(references, 2),
    mostFrequentResponse: { text: detokenize(frequent, lang), distinct2: distinctN(replies.map(() => frequent), 2) },
    repliesGenerated: replies.length,
    samples: Array.from({ length: nSamples }, (_, i) => ({
      context: contextTurns(toGenerate[i], lang).join(' | '),
      reference: detokenize(references[i], lang),
      reply: detokenize(replies[i], lang),
    })),
  };
}

/** The pair's context as the turns a user would have typed (the bot tokenizes them again, to the same tokens). */
function contextTurns(p: EncodedPair, lang: Lang): string[] {
  const turns: string[][] = [[]];
  for (const t of p.context) {
    if (t === SEP) turns.push([]);
    else turns[turns.length - 1].push(t);
  }
  return turns.map((t) => detokenize(t, lang));
}

/** The report as an aligned text table plus the sample exchanges. */
export function formatReport(r: EvalReport): string {
  const f = (x: number) => x.toFixed(x >= 100 ? 1 : 3);
  const lines = [
    `held-out pairs: ${r.heldOutPairs} (${r.scoredTokens} response tokens incl. EOS); replies generated: ${r.repliesGenerated}`,
    `perplexity   model ${f(r.perplexity.model)}   unigram ${f(r.perplexity.unigram)}   bigram ${f(r.perplexity.bigram)}`,
    `BLEU-4 ${f(r.bleu4)}   distinct-1 ${f(r.distinct1)}   distinct-2 ${f(r.distinct2)}   (references: distinct-2 ${f(r.referenceDistinct2)})`,
    `always "${r.mostFrequentResponse.text}": distinct-2 ${f(r.mostFrequentResponse.distinct2)}`,
    'samples:',
    ...r.samples.flatMap((s) => [`  user: ${s.context}`, `   ref: ${s.reference}`, `   bot: ${s.reply}`]),
  ];
  return lines.join('\n');
}
