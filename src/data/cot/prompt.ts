// Step 1's prompt (method.md §1.3.1, paper Fig. 7): the process-aware template prompt with the
// question (Video-R1's construction, options included for multiple choice) and, by default, Video-R1's
// answer-type hint (§2.2, TYPE_TEMPLATE), and the chat-completions message that carries it with the
// frames as image_url data URLs. Pure.

import { judgeQuestion } from '../../rewards/judge';
import type { DataRecord, ProblemType } from '../types';

/** Paper Fig. 7 as extracted (method.md §1.3.1); {Question} is filled in one pass. */
export const COT_PROMPT_TEMPLATE = `{Question} You are required to answer the question using the visual content provided. Your output must include **three parts**: <observation>, <think>, and <answer>. Do **not** stop after the first part. Follow the instructions below for each section:
Step 1: Visual Observation
 • First, analyze what the question is asking.
 • Identify what type of visual information is necessary to answer it (e.g., objects, actions, text, spatial relations, etc.).
 • Write a **single paragraph** that begins with: **'Based on the question, I need to notice ...'**
 • Then directly continue with your visual observations in the same paragraph.
 • Ensure that the motivation ('I need to notice...') and the actual observations are logically connected.
 • Wrap this section between <observation> and </observation> tags.
<observation> Based on the question, I need to notice ... [Continue your observation here in the same paragraph.] </observation>
Step 2: Reasoning
 • Use your observations to reason step by step toward the answer.
 • Begin with: **'Based on the observations, ...'**
 • Engage in internal dialogue (e.g., 'let me think', 'hmm', 'wait a second', etc.).
 • It's encouraged to include **self-reflection or verification**, such as: 'Does that make sense?', 'Let me double-check...', etc.
 • Wrap your reasoning between <think> and </think> tags.
<think> Based on the observations, ... [Insert your reasoning here.] </think>
Step 3: Final Answer
 • Provide a concise and specific final answer.
 • Ensure it is logically consistent with both the observations and the reasoning.
 • Wrap your answer between <answer> and </answer> tags.
<answer> [Insert your final answer here.] </answer>`;

/** Video-R1's TYPE_TEMPLATE (method.md §2.2), appended after the filled prompt. */
export const TYPE_HINTS: Record<ProblemType, string> = {
  'multiple choice': ' Please provide only the single option letter (e.g., A, B, C, D, etc.) within the <answer> </answer> tags.',
  numerical: ' Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.',
  OCR: ' Please transcribe text from the image/video clearly and provide your text answer within the <answer> </answer> tags.',
  'free-form': ' Please provide your text answer within the <answer> </answer> tags.',
  regression: ' Please provide the numerical value (e.g., 42 or 3.14) within the <answer> </answer> tags.',
};

export interface CotPromptOptions {
  /** Append Video-R1's answer-type hint (default true; the paper does not show whether VideoP2R did [U]). */
  typeHint?: boolean;
}

/** The user prompt for one record. */
export function cotPrompt(record: Pick<DataRecord, 'problem' | 'problem_type' | 'options'>, options: CotPromptOptions = {}): string {
  const question = judgeQuestion(record);
  const filled = COT_PROMPT_TEMPLATE.replace('{Question}', () => question);
  return options.typeHint === false ? filled : filled + (TYPE_HINTS[record.problem_type] ?? '');
}

/** An image for the message: its MIME type and encoded bytes (JPEG, PNG, WebP, GIF). */
export interface ImagePart {
  mime: string;
  bytes: Uint8Array;
}

/** Base64 without Buffer (works in Node, a worker and the page); chunked so large frames do not blow the stack. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function dataUrl(image: ImagePart): string {
  return `data:${image.mime};base64,${base64(image.bytes)}`;
}

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

/** One user turn: the frames first (as Video-R1 puts the media before the text), then the prompt; text only without frames. */
export function cotMessages(prompt: string, images: readonly ImagePart[]): ChatMessage[] {
  if (images.length === 0) return [{ role: 'user', content: prompt }];
  return [{ role: 'user', content: [...images.map((im): ChatContentPart => ({ type: 'image_url', image_url: { url: dataUrl(im) } })), { type: 'text', text: prompt }] }];
}
