import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { DecodeSettings, Reply } from './chatbot.js';

/**
 * The `chat` loop on plain streams, so the CLI passes process.stdin/stdout and tests pass PassThrough streams.
 * Lines are handled strictly one after another (the async iterator buffers what arrives meanwhile), which is
 * what makes piped scripts (`printf 'hi\n/quit\n' | rnnkit-chatbot chat`) behave like a typed session.
 */

export interface Responder {
  /** Replies to the last of `turns` (oldest first; user and bot alternate, the user's turn is last). */
  reply(turns: readonly string[], settings: DecodeSettings): Reply;
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
  '/beam N (beam search with N beams), /quit (or Ctrl-D)';

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
      const reply = bot.reply(turns, settings);
      if (reply.unknown.length > 0) say(`(I did not understand: ${reply.unknown.join(', ')})`);
      say(`bot> ${reply.text}`);
      turns.push(reply.text);
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  if (interactive) say('bye');
  return 0;
}

function describe(s: DecodeSettings): string {
  return s.temperature > 0 ? `sampling at temperature ${s.temperature}` : `beam search, ${s.beam} beam${s.beam === 1 ? '' : 's'}`;
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
