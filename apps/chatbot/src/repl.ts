import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { DecodeSettings, Reply, ReplyHooks } from './chatbot.js';

/**
 * The `chat` loop on plain streams, so the CLI passes process.stdin/stdout and tests pass PassThrough streams.
 * Lines are handled strictly one after another (the async iterator buffers what arrives meanwhile), which is
 * what makes piped scripts (`printf 'hi\n/quit\n' | rnnkit-chatbot chat`) behave like a typed session.
 */

export interface Responder {
  /**
   * Replies to the last of `turns` (oldest first; user and bot alternate, the user's turn is last). May call
   * `hooks.onStart` before decoding and `hooks.onText` with pieces of the reply as they decode (see ReplyHooks).
   */
  reply(turns: readonly string[], settings: DecodeSettings, hooks?: ReplyHooks): Reply;
}

export interface ReplOptions {
  bot: Responder;
  input: Readable;
  output: Writable;
  settings: DecodeSettings;
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
  const settings: DecodeSettings = { ...opts.settings };
  const rl = createInterface({ input: opts.input, output: interactive ? output : undefined, terminal: interactive, prompt: 'you> ' });
  // Ctrl-C at the prompt ends the chat like Ctrl-D instead of leaving a paused, hung interface.
  rl.on('SIGINT', () => rl.close());
  const say = (text: string) => output.write(`${text}\n`);
  let turns: string[] = [];

  if (interactive) {
    say(`chatbot ready (${describe(settings)}). ${HELP}`);
    rl.prompt();
  }
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') {
      if (interactive) rl.prompt();
      continue;
    }
    if (line.startsWith('/')) {
      const [command, arg] = line.split(/\s+/, 2);
      if (command === '/quit' || command === '/exit') break;
      say(handleCommand(command, arg, settings, () => (turns = [])));
    } else {
      turns.push(line);
      turns.push(answer(bot, turns, settings, output));
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
function answer(bot: Responder, turns: readonly string[], settings: DecodeSettings, output: Writable): string {
  let started = false;
  let told = false;
  let streamed = '';
  const tell = (unknown: readonly string[]) => {
    if (told || unknown.length === 0) return;
    told = true;
    output.write(`(I did not understand: ${unknown.join(', ')})\n`);
  };
  const start = (unknown: readonly string[]) => {
    if (started) return;
    started = true;
    tell(unknown);
    output.write('bot> ');
  };
  const reply = bot.reply(turns, settings, {
    onStart: start,
    onText: (piece) => {
      start([]);
      streamed += piece;
      output.write(piece);
    },
  });
  start(reply.unknown);
  if (reply.text.startsWith(streamed)) output.write(`${reply.text.slice(streamed.length)}\n`);
  // A bot whose streamed pieces disagree with its final text: keep the streamed line and show the real reply.
  else output.write(`\nbot> ${reply.text}\n`);
  // A bot that streamed without announcing the unknown words first: say them after the reply.
  tell(reply.unknown);
  return reply.text;
}

function describe(s: DecodeSettings): string {
  if (s.temperature > 0) return `sampling at temperature ${s.temperature}`;
  return s.beam === 1 ? 'greedy decoding (beam 1)' : `beam search, ${s.beam} beams`;
}

/** Applies one slash command to the settings and returns the line to show. */
function handleCommand(command: string, arg: string | undefined, settings: DecodeSettings, reset: () => void): string {
  switch (command) {
    case '/reset':
      reset();
      return '(conversation forgotten)';
    case '/temp': {
      const t = Number(arg);
      if (arg === undefined || !Number.isFinite(t) || t < 0 || t > 10) return '(usage: /temp X with X between 0 and 10)';
      settings.temperature = t;
      return `(${describe(settings)})`;
    }
    case '/beam': {
      const n = Number(arg);
      if (arg === undefined || !Number.isInteger(n) || n < 1 || n > 64) return '(usage: /beam N with N an integer from 1 to 64)';
      settings.beam = n;
      settings.temperature = 0;
      return `(${describe(settings)})`;
    }
    case '/help':
      return HELP;
    default:
      return `(unknown command ${command}; ${HELP})`;
  }
}
