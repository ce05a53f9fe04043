import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { printable, RnnkitError, type DecodingRequest } from '@rnnkit/core';
import { describeDecoding } from './chatbot.js';
import { MAX_HISTORY_TURNS, type ChatbotInput, type ChatbotOutput } from './predictor.js';

/**
 * The `chat` loop on plain streams, so the CLI passes process.stdin/stdout and tests pass PassThrough streams.
 * Lines are handled strictly one after another (the async iterator buffers what arrives meanwhile), which is
 * what makes piped scripts (`printf 'hi\n/quit\n' | rnnkit-chatbot chat`) behave like a typed session.
 * The conversation lives here: each message goes to the predictor with the turns before it as `history`.
 */

/** What the REPL needs of the chatbot predictor (tests pass fakes). */
export interface Responder {
  /**
   * Replies to `input`, calling `onText` with pieces of the reply as they decode (greedy decoding and sampling; beam
   * search calls it never): the pieces, concatenated, are a prefix of the final `reply`.
   */
  stream(input: ChatbotInput, onText: (piece: string) => void): Promise<ChatbotOutput>;
  /** The message's words the bot does not know, so they can be named before a streamed reply starts. */
  unknownWords?(message: string): string[];
}

export interface ReplOptions {
  bot: Responder;
  input: Readable;
  output: Writable;
  /** The decoding settings to start with; /temp and /beam change them. */
  decode: DecodingRequest;
  /** Show a prompt and the greeting; default: whether input is a TTY. */
  interactive?: boolean;
}

const HELP = 'commands: /reset (forget the conversation), /temp X (sample at temperature X; 0 = beam search), ' +
  '/beam N (beam search with N beams; 1 = greedy), /quit (or Ctrl-D). Greedy and sampled replies are shown word by ' +
  'word as they decode; with /beam 2 or more the reply appears when the search ends.';

/** Runs the chat until /quit or end of input; resolves to the process exit code. */
export async function runRepl(opts: ReplOptions): Promise<number> {
  const { bot, output } = opts;
  const interactive = opts.interactive ?? Boolean((opts.input as { isTTY?: boolean }).isTTY);
  let decode: DecodingRequest = { ...opts.decode };
  const rl = createInterface({ input: opts.input, output: interactive ? output : undefined, terminal: interactive, prompt: 'you> ' });
  // Ctrl-C at the prompt ends the chat like Ctrl-D instead of leaving a paused, hung interface.
  rl.on('SIGINT', () => rl.close());
  const say = (text: string) => output.write(`${printable(text)}\n`);
  let turns: string[] = [];

  if (interactive) {
    say(`chatbot ready (${describeDecoding(decode)}). ${HELP}`);
    rl.prompt();
  }
  for await (const raw of rl) {
    const line = printable(raw).trim();
    if (line === '') {
      if (interactive) rl.prompt();
      continue;
    }
    if (line.startsWith('/')) {
      const [command, arg] = line.split(/\s+/, 2);
      if (command === '/quit' || command === '/exit') break;
      const handled = handleCommand(command, arg, decode, () => (turns = []));
      decode = handled.decode;
      say(handled.line);
    } else {
      try {
        const reply = await answer(bot, { message: line, history: turns.slice(-MAX_HISTORY_TURNS), decode }, output);
        turns.push(line, reply);
      } catch (err) {
        // A message the predictor refuses (e.g. too long) is reported; the conversation goes on without it.
        if (!(err instanceof RnnkitError)) throw err;
        say(`(${err.message})`);
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  if (interactive) say('bye');
  return 0;
}

/**
 * Asks for a reply and prints it as `bot> ...`: piece by piece when the bot streams (greedy or sampled decoding),
 * otherwise in one go when it is done. Returns the reply text.
 */
async function answer(bot: Responder, input: ChatbotInput, output: Writable): Promise<string> {
  let started = false;
  let told = false;
  let streamed = '';
  const tell = (unknown: readonly string[]) => {
    if (told || unknown.length === 0) return;
    told = true;
    output.write(`(I did not understand: ${printable(unknown.join(', '))})\n`);
  };
  const start = (unknown: readonly string[]) => {
    if (started) return;
    started = true;
    tell(unknown);
    output.write('bot> ');
  };
  // Checked before decoding, so the unknown words are named before the reply starts.
  if (bot.unknownWords) start(bot.unknownWords(input.message));
  let reply: ChatbotOutput;
  try {
    reply = await bot.stream(input, (piece) => {
      start([]);
      streamed += piece;
      output.write(printable(piece));
    });
  } catch (err) {
    if (started) output.write('\n');
    throw err;
  }
  start(reply.unknown);
  if (reply.reply.startsWith(streamed)) output.write(`${printable(reply.reply.slice(streamed.length))}\n`);
  // A bot whose streamed pieces disagree with its final text: keep the streamed line and show the real reply.
  else output.write(`\nbot> ${printable(reply.reply)}\n`);
  // A bot that streamed without naming the unknown words first: say them after the reply.
  tell(reply.unknown);
  return reply.reply;
}

/** Applies one slash command to the decoding settings; returns the new settings and the line to show. */
function handleCommand(command: string, arg: string | undefined, decode: DecodingRequest, reset: () => void): { decode: DecodingRequest; line: string } {
  // /temp and /beam choose the strategy themselves (see resolveDecoding), whatever --strategy said.
  const { strategy: _strategy, ...rest } = decode;
  switch (command) {
    case '/reset':
      reset();
      return { decode, line: '(conversation forgotten)' };
    case '/temp': {
      const t = Number(arg);
      if (arg === undefined || !Number.isFinite(t) || t < 0 || t > 10) return { decode, line: '(usage: /temp X with X between 0 and 10)' };
      // Sampling must be explicit: a beamWidth > 1 alone implies beam search.
      const next: DecodingRequest = t > 0 ? { ...rest, strategy: 'sample', temperature: t } : { ...rest, temperature: t };
      return { decode: next, line: `(${describeDecoding(next)})` };
    }
    case '/beam': {
      const n = Number(arg);
      if (arg === undefined || !Number.isInteger(n) || n < 1 || n > 64) return { decode, line: '(usage: /beam N with N an integer from 1 to 64)' };
      const next = { ...rest, beamWidth: n, temperature: 0 };
      return { decode: next, line: `(${describeDecoding(next)})` };
    }
    case '/help':
      return { decode, line: HELP };
    default:
      return { decode, line: `(unknown command ${command}; ${HELP})` };
  }
}
