import { PassThrough, Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { RnnkitError, type DecodingRequest } from '@rnnkit/core';
import { CHATBOT_DECODE_DEFAULTS, resolveDecoding, textStreamer } from '../src/chatbot.js';
import { detokenize } from '../src/data/pairs.js';
import type { ChatbotInput, ChatbotOutput } from '../src/predictor.js';
import { runRepl, type Responder } from '../src/repl.js';

const START_DECODE: DecodingRequest = { beamWidth: CHATBOT_DECODE_DEFAULTS.beamWidth };

/** Records what the REPL asks for; replies with a count so each answer is distinguishable. */
class RecordingBot implements Responder {
  calls: { turns: string[]; decode: DecodingRequest }[] = [];
  async stream(input: ChatbotInput): Promise<ChatbotOutput> {
    this.calls.push({ turns: [...(input.history ?? []), input.message], decode: { ...input.decode } });
    const unknown = input.message.includes('zzyzx') ? ['zzyzx'] : [];
    return { reply: `answer ${this.calls.length}`, tokens: [], score: -1, unknown };
  }
}

/** Streams its words like the chatbot predictor does with greedy decoding or sampling, and answers in one go with beam search. */
class StreamingBot implements Responder {
  unknownWords(message: string): string[] {
    return message.includes('zzyzx') ? ['zzyzx'] : [];
  }

  async stream(input: ChatbotInput, onText: (piece: string) => void): Promise<ChatbotOutput> {
    const tokens = ['i', "'", 'm', 'fine', ',', 'thanks', '.'];
    const text = detokenize(tokens, 'en');
    if (resolveDecoding(input.decode).strategy !== 'beam') {
      const streamer = textStreamer('en', onText);
      for (const token of tokens) streamer.push(token);
      const rest = streamer.flush();
      if (rest) onText(rest);
    }
    return { reply: text, tokens, score: -1, unknown: this.unknownWords(input.message) };
  }
}

async function session(lines: string, bot: Responder, endInput = true): Promise<{ code: number; out: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d) => (out += String(d)));
  const done = runRepl({ bot, input, output, decode: START_DECODE });
  input.write(lines);
  if (endInput) input.end();
  const code = await done;
  return { code, out };
}

describe('chat REPL on piped streams', () => {
  test('keeps history, /reset clears it, /quit ends with code 0 and ignores later lines', async () => {
    const bot = new RecordingBot();
    const { code, out } = await session('hello\nhow are you?\n/reset\nwhat is ai?\n/quit\nnever read\n', bot, false);
    expect(code).toBe(0);
    expect(bot.calls.map((c) => c.turns)).toEqual([
      ['hello'],
      ['hello', 'answer 1', 'how are you?'],
      ['what is ai?'],
    ]);
    expect(out).toContain('bot> answer 1\n');
    expect(out).toContain('(conversation forgotten)');
    expect(out).toContain('bot> answer 3\n');
    expect(out).not.toContain('answer 4');
  });

  test('/temp and /beam change the decoding settings; bad values are refused without crashing', async () => {
    const bot = new RecordingBot();
    const { out } = await session('/temp 0.7\nhi\n/beam 3\nhi\n/temp abc\n/beam 0\n/nope\nhi\n', bot);
    expect(bot.calls.map((c) => [c.decode.temperature, c.decode.beamWidth])).toEqual([
      [0.7, CHATBOT_DECODE_DEFAULTS.beamWidth],
      [0, 3],
      [0, 3],
    ]);
    expect(out).toContain('(sampling at temperature 0.7)');
    expect(out).toContain('(beam search, 3 beams)');
    expect(out).toContain('(usage: /temp X');
    expect(out).toContain('(usage: /beam N');
    expect(out).toContain('(unknown command /nope');
  });

  test('/temp and /beam override --strategy; the history sent is bounded; a refused message keeps the chat going', async () => {
    const bot = new RecordingBot();
    const refusing: Responder = {
      stream: (input) => {
        if (input.message === 'bad') return Promise.reject(new RnnkitError('input: field "message": too long'));
        return bot.stream(input);
      },
    };
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    output.on('data', (d) => (out += String(d)));
    const done = runRepl({ bot: refusing, input, output, decode: { strategy: 'greedy', maxLen: 7 } });
    const many = Array.from({ length: 15 }, (_, i) => `q${i}`).join('\n');
    input.end(`${many}\nbad\n/temp 0.5\nafter\n`);
    expect(await done).toBe(0);
    expect(out).toContain('(input: field "message": too long)\n');
    const last = bot.calls.at(-1)!;
    expect(last.turns.at(-1)).toBe('after');
    expect(last.turns).not.toContain('bad');
    expect(last.turns.length).toBe(21); // the last 20 turns of history, then the message
    expect(bot.calls[0].decode).toEqual({ strategy: 'greedy', maxLen: 7 });
    expect(last.decode).toEqual({ maxLen: 7, strategy: 'sample', temperature: 0.5 });
  });

  test('end of input (Ctrl-D) ends the chat cleanly, and unknown words are reported but still answered', async () => {
    const bot = new RecordingBot();
    const { code, out } = await session('tell me about zzyzx\n', bot);
    expect(code).toBe(0);
    expect(out).toBe('(I did not understand: zzyzx)\nbot> answer 1\n');
  });

  test('never echoes terminal control characters: not from the typed line, not from the bot', async () => {
    // ESC [2J clears the screen, ESC ]0; retitles the window, U+009B is the one-character C1 form of ESC [, BEL rings.
    const bot = new RecordingBot();
    const { out } = await session('hi\x1b[2J there zzyzx\x07\n/te\x1b]0;owned\x07mp 2\n\u009b31mred\tok\n', bot);
    expect(bot.calls.map((c) => c.turns.at(-1))).toEqual(['hi[2J there zzyzx', '31mred\tok']);
    expect(out).toContain('(unknown command /te]0;ownedmp; ');
    expect([...out].filter((ch) => ch !== '\n' && ch !== '\t' && (ch < ' ' || (ch >= '\u007f' && ch <= '\u009f')))).toEqual([]);

    class EscapingBot implements Responder {
      async stream(_input: ChatbotInput, onText: (piece: string) => void): Promise<ChatbotOutput> {
        onText('evil\x1b[2J');
        return { reply: 'evil\x1b[2J re\rply\u009b', tokens: [], score: -1, unknown: ['w\x1bord'] };
      }
    }
    const escaped = await session('hello\n', new EscapingBot());
    expect(escaped.out).toBe('bot> evil[2J reply\n(I did not understand: word)\n');
  });

  test('with beam 1 the reply arrives word by word on the output, and the streamed line equals the reply', async () => {
    const writes: string[] = [];
    const output = new Writable({
      write(chunk, _enc, done) {
        writes.push(String(chunk));
        done();
      },
    });
    const input = new PassThrough();
    const done = runRepl({ bot: new StreamingBot(), input, output, decode: { ...START_DECODE, beamWidth: 1 } });
    input.end('hello zzyzx\n/beam 4\nhello\n');
    expect(await done).toBe(0);
    const out = writes.join('');
    expect(out).toBe("(I did not understand: zzyzx)\nbot> i'm fine, thanks.\n(beam search, 4 beams)\nbot> i'm fine, thanks.\n");
    // Greedy: "bot> ", then several pieces of the reply before the line ends.
    const first = writes.indexOf('bot> ');
    const end = writes.findIndex((w, i) => i > first && w.endsWith('\n'));
    const pieces = writes.slice(first + 1, end + 1);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe("i'm fine, thanks.\n");
    // Beam search: the whole reply in one write after "bot> ".
    const second = writes.lastIndexOf('bot> ');
    expect(writes.slice(second + 1)).toEqual(["i'm fine, thanks.\n"]);
  });
});

describe('textStreamer', () => {
  test('pieces always form a prefix of the detokenized reply and end equal to it', () => {
    const cases = [
      ['i', "'", 'm', 'fine', '.'],
      ['(', 'yes', ')', 'it', "'", 's', '$', '5', '!'],
      ["'", 'quoted', "'"],
      ['a', "'", "'", 'b', '?'],
    ];
    for (const tokens of cases) {
      const final = detokenize(tokens, 'en');
      let text = '';
      const streamer = textStreamer('en', (piece) => {
        text += piece;
        expect(final.startsWith(text)).toBe(true);
      });
      for (const t of tokens) streamer.push(t);
      text += streamer.flush();
      expect(text).toBe(final);
    }
    const zh: string[] = [];
    const s = textStreamer('zh', (p) => zh.push(p));
    for (const t of ['你', '好', '。']) s.push(t);
    expect(s.flush()).toBe('');
    expect(zh).toEqual(['你', '好', '。']);
  });
});
