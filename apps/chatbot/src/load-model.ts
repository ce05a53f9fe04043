import { loadAppModel } from '@rnnkit/core';
import type { Chatbot } from './chatbot.js';
import { chatbotExtrasSchema } from './extras.js';
import { CHATBOT_APP, chatbotFromAppModel } from './predictor.js';

/** Loads a chatbot model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadChatbot(dir: string): Promise<Chatbot> {
  return chatbotFromAppModel(await loadAppModel(dir, CHATBOT_APP, chatbotExtrasSchema));
}
