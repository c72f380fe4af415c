// NLTK's PorterStemmer in its default mode (NLTK_EXTENSIONS), which rouge_score's tokenizer uses
// (`porter.PorterStemmer()` in rouge_score/tokenizers.py and rouge_scorer.py). Ported rule by rule
// from nltk/stem/porter.py (the rewritten, mode-aware version of NLTK ≥ 3.2.2); method names follow
// it so the two can be read side by side. Input is expected to be what rouge_score passes: ASCII
// [a-z0-9] tokens (JS string indices are then Python indices).

// NLTK_EXTENSIONS only: irregular forms mapped straight to their paradigm, bypassing the steps.
const IRREGULAR_FORMS: Record<string, string[]> = {
  sky: ['sky', 'skies'],
  die: ['dying'],
  lie: ['lying'],
  tie: ['tying'],
  news: ['news'],
  inning: ['innings', 'inning'],
  outing: ['outings', 'outing'],
  canning: ['cannings', 'canning'],
  howe: ['howe'],
  proceed: ['proceed'],
  exceed: ['exceed'],
  succeed: ['succeed'],
};

const POOL = new Map<string, string>();
for (const [paradigm, forms] of Object.entries(IRREGULAR_FORMS)) for (const form of forms) POOL.set(form, paradigm);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** A suffix rule: replace `suffix` by `replacement` when `condition(stem)` holds ('*d' = double consonant). */
type Rule = [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

function isConsonant(word: string, i: number): boolean {
  if (VOWELS.has(word[i])) return false;
  if (word[i] === 'y') return i === 0 ? true : !isConsonant(word, i - 1);
  return true;
}

/** m in [C](VC){m}[V]: the number of 'vc' pairs in the consonant/vowel pattern of `stem`. */
function measure(stem: string): number {
  let pattern = '';
  for (let i = 0; i < stem.length; i++) pattern += isConsonant(stem, i) ? 'c' : 'v';
  let count = 0;
  for (let i = 0; i + 1 < pattern.length; i++) if (pattern[i] === 'v' && pattern[i + 1] === 'c') count++;
  return count;
}

const hasPositiveMeasure = (stem: string): boolean => measure(stem) > 0;

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** *d: the word ends with a double consonant. */
function endsDoubleConsonant(word: string): boolean {
  return word.length >= 2 && word[word.length - 1] === word[word.length - 2] && isConsonant(word, word.length - 1);
}

/** *o: the word ends consonant-vowel-consonant, the last not w, x or y; NLTK adds 2-letter vowel-consonant. */
function endsCvc(word: string): boolean {
  const n = word.length;
  return (
    (n >= 3 &&
      isConsonant(word, n - 3) &&
      !isConsonant(word, n - 2) &&
      isConsonant(word, n - 1) &&
      !['w', 'x', 'y'].includes(word[n - 1])) ||
    (n === 2 && !isConsonant(word, 0) && isConsonant(word, 1))
  );
}

function replaceSuffix(word: string, suffix: string, replacement: string): string {
  return suffix === '' ? word + replacement : word.slice(0, word.length - suffix.length) + replacement;
}

/** Applies the first rule whose suffix matches; if its condition fails, no further rule is tried. */
function applyRuleList(word: string, rules: Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (suffix === '*d' && endsDoubleConsonant(word)) {
      const stem = word.slice(0, -2);
      return condition === null || condition(stem) ? stem + replacement : word;
    }
    if (word.endsWith(suffix)) {
      const stem = replaceSuffix(word, suffix, '');
      return condition === null || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

function step1a(word: string): string {
  // NLTK: 'flies' -> 'fli' but 'dies' -> 'die'.
  if (word.endsWith('ies') && word.length === 4) return replaceSuffix(word, 'ies', 'ie');
  return applyRuleList(word, [
    ['sses', 'ss', null],
    ['ies', 'i', null],
    ['ss', 'ss', null],
    ['s', '', null],
  ]);
}

function step1b(word: string): string {
  // NLTK: 'spied' -> 'spi' but 'died' -> 'die'.
  if (word.endsWith('ied')) return replaceSuffix(word, 'ied', word.length === 4 ? 'ie' : 'i');

  if (word.endsWith('eed')) {
    const stem = replaceSuffix(word, 'eed', '');
    return measure(stem) > 0 ? stem + 'ee' : word;
  }

  let intermediate: string | null = null;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix)) {
      const candidate = replaceSuffix(word, suffix, '');
      if (containsVowel(candidate)) {
        intermediate = candidate;
        break;
      }
    }
  }
  if (intermediate === null) return word;

  const last = intermediate[intermediate.length - 1];
  return applyRuleList(intermediate, [
    ['at', 'ate', null],
    ['bl', 'ble', null],
    ['iz', 'ize', null],
    ['*d', last, () => !['l', 's', 'z'].includes(last)],
    ['', 'e', (stem) => measure(stem) === 1 && endsCvc(stem)],
  ]);
}

function step1c(word: string): string {
  // NLTK: y -> i only after a consonant that is not the whole stem ('happy' -> 'happi', 'enjoy' stays).
  return applyRuleList(word, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

function step2(word: string): string {
  // NLTK: 'alli' -> 'al' is tried first, and on success the result goes through step 2 again.
  if (word.endsWith('alli') && hasPositiveMeasure(replaceSuffix(word, 'alli', ''))) {
    return step2(replaceSuffix(word, 'alli', 'al'));
  }
  const rules: Rule[] = [
    ['ational', 'ate', hasPositiveMeasure],
    ['tional', 'tion', hasPositiveMeasure],
    ['enci', 'ence', hasPositiveMeasure],
    ['anci', 'ance', hasPositiveMeasure],
    ['izer', 'ize', hasPositiveMeasure],
    ['bli', 'ble', hasPositiveMeasure], // the published algorithm has 'abli' -> 'able'
    ['alli', 'al', hasPositiveMeasure],
    ['entli', 'ent', hasPositiveMeasure],
    ['eli', 'e', hasPositiveMeasure],
    ['ousli', 'ous', hasPositiveMeasure],
    ['ization', 'ize', hasPositiveMeasure],
    ['ation', 'ate', hasPositiveMeasure],
    ['ator', 'ate', hasPositiveMeasure],
    ['alism', 'al', hasPositiveMeasure],
    ['iveness', 'ive', hasPositiveMeasure],
    ['fulness', 'ful', hasPositiveMeasure],
    ['ousness', 'ous', hasPositiveMeasure],
    ['aliti', 'al', hasPositiveMeasure],
    ['iviti', 'ive', hasPositiveMeasure],
    ['biliti', 'ble', hasPositiveMeasure],
    ['fulli', 'ful', hasPositiveMeasure],
    // The 'l' of 'logi' stays with the stem for the measure, so 'geo', 'theo' work like 'archaeo'.
    ['logi', 'log', () => hasPositiveMeasure(word.slice(0, -3))],
  ];
  return applyRuleList(word, rules);
}

function step3(word: string): string {
  return applyRuleList(word, [
    ['icate', 'ic', hasPositiveMeasure],
    ['ative', '', hasPositiveMeasure],
    ['alize', 'al', hasPositiveMeasure],
    ['iciti', 'ic', hasPositiveMeasure],
    ['ical', 'ic', hasPositiveMeasure],
    ['ful', '', hasPositiveMeasure],
    ['ness', '', hasPositiveMeasure],
  ]);
}

function step4(word: string): string {
  const measureGt1 = (stem: string): boolean => measure(stem) > 1;
  return applyRuleList(word, [
    ['al', '', measureGt1],
    ['ance', '', measureGt1],
    ['ence', '', measureGt1],
    ['er', '', measureGt1],
    ['ic', '', measureGt1],
    ['able', '', measureGt1],
    ['ible', '', measureGt1],
    ['ant', '', measureGt1],
    ['ement', '', measureGt1],
    ['ment', '', measureGt1],
    ['ent', '', measureGt1],
    ['ion', '', (stem) => measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t'))],
    ['ou', '', measureGt1],
    ['ism', '', measureGt1],
    ['ate', '', measureGt1],
    ['iti', '', measureGt1],
    ['ous', '', measureGt1],
    ['ive', '', measureGt1],
    ['ize', '', measureGt1],
  ]);
}

function step5a(word: string): string {
  // Both rules share the suffix 'e' and both conditions are tried, so no applyRuleList here.
  if (word.endsWith('e')) {
    const stem = replaceSuffix(word, 'e', '');
    if (measure(stem) > 1) return stem;
    if (measure(stem) === 1 && !endsCvc(stem)) return stem;
  }
  return word;
}

function step5b(word: string): string {
  return applyRuleList(word, [['ll', 'l', () => measure(word.slice(0, -1)) > 1]]);
}

/** NLTK PorterStemmer().stem(word) (mode NLTK_EXTENSIONS, to_lowercase=True). */
export function porterStem(word: string): string {
  const lowered = word.toLowerCase();
  // NLTK looks the original word up in the pool and returns the entry for the lowered one.
  if (POOL.has(word)) return POOL.get(lowered) ?? lowered;
  if (word.length <= 2) return lowered;
  let stem = lowered;
  stem = step1a(stem);
  stem = step1b(stem);
  stem = step1c(stem);
  stem = step2(stem);
  stem = step3(stem);
  stem = step4(stem);
  stem = step5a(stem);
  stem = step5b(stem);
  return stem;
}
