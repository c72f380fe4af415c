import { describe, expect, it } from 'vitest';
import { porterStem } from '../../src/rewards/porter';

// Expected stems: NLTK PorterStemmer() (mode NLTK_EXTENSIONS) as transcribed line by line from
// nltk/stem/porter.py into python3 (nltk itself is not installed here); words are Porter's paper
// examples, the NLTK docstring examples and 90 words sampled from the project's docs and
// node_modules READMEs. Running the same transcription over 8,857 words matched this port on all.
const NLTK_STEMS: [string, string][] = [
  ['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'tie'], ['caress', 'caress'], ['cats', 'cat'],
  ['feed', 'feed'], ['agreed', 'agre'], ['plastered', 'plaster'], ['bled', 'bled'], ['motoring', 'motor'],
  ['sing', 'sing'], ['conflated', 'conflat'], ['troubled', 'troubl'], ['sized', 'size'], ['hopping', 'hop'],
  ['tanned', 'tan'], ['falling', 'fall'], ['hissing', 'hiss'], ['fizzed', 'fizz'], ['failing', 'fail'],
  ['filing', 'file'], ['happy', 'happi'], ['sky', 'sky'], ['relational', 'relat'], ['conditional', 'condit'],
  ['rational', 'ration'], ['valenci', 'valenc'], ['hesitanci', 'hesit'], ['digitizer', 'digit'],
  ['conformabli', 'conform'], ['radicalli', 'radic'], ['differentli', 'differ'], ['vileli', 'vile'],
  ['analogousli', 'analog'], ['vietnamization', 'vietnam'], ['predication', 'predic'], ['operator', 'oper'],
  ['feudalism', 'feudal'], ['decisiveness', 'decis'], ['hopefulness', 'hope'], ['callousness', 'callous'],
  ['formaliti', 'formal'], ['sensitiviti', 'sensit'], ['sensibiliti', 'sensibl'], ['triplicate', 'triplic'],
  ['formative', 'form'], ['formalize', 'formal'], ['electriciti', 'electr'], ['electrical', 'electr'],
  ['hopeful', 'hope'], ['goodness', 'good'], ['revival', 'reviv'], ['allowance', 'allow'],
  ['inference', 'infer'], ['airliner', 'airlin'], ['gyroscopic', 'gyroscop'], ['adjustable', 'adjust'],
  ['defensible', 'defens'], ['irritant', 'irrit'], ['replacement', 'replac'], ['adjustment', 'adjust'],
  ['dependent', 'depend'], ['adoption', 'adopt'], ['homologou', 'homolog'], ['communism', 'commun'],
  ['activate', 'activ'], ['angulariti', 'angular'], ['homologous', 'homolog'], ['effective', 'effect'],
  ['bowdlerize', 'bowdler'], ['probate', 'probat'], ['rate', 'rate'], ['cease', 'ceas'],
  ['controll', 'control'], ['roll', 'roll'], ['running', 'run'], ['generously', 'gener'],
  ['happiness', 'happi'], ['oed', 'o'], ['skies', 'sky'], ['dying', 'die'], ['lying', 'lie'],
  ['tying', 'tie'], ['news', 'news'], ['innings', 'inning'], ['outing', 'outing'], ['cannings', 'canning'],
  ['howe', 'howe'], ['proceed', 'proceed'], ['exceed', 'exceed'], ['succeed', 'succeed'], ['flies', 'fli'],
  ['dies', 'die'], ['spied', 'spi'], ['died', 'die'], ['enjoy', 'enjoy'], ['meetings', 'meet'],
  ['archaeology', 'archaeolog'], ['geology', 'geolog'], ['theology', 'theolog'], ['fully', 'fulli'],
  ['hopefully', 'hope'], ['generalization', 'gener'], ['improve', 'improv'], ['vendored', 'vendor'],
  ['deriving', 'deriv'], ['poorly', 'poorli'], ['states', 'state'], ['caswell', 'caswel'], ['agree', 'agre'],
  ['specifies', 'specifi'], ['isabsolute', 'isabsolut'], ['wallace', 'wallac'], ['illmatic', 'illmat'],
  ['flexible', 'flexibl'], ['sponsored', 'sponsor'], ['vague', 'vagu'], ['volcengine', 'volcengin'],
  ['story', 'stori'], ['readdoublebe', 'readdoubleb'], ['ease', 'eas'], ['idbkeyrange', 'idbkeyrang'],
  ['editable', 'edit'], ['typing', 'type'], ['purely', 'pure'], ['allkeyed', 'allkey'], ['careful', 'care'],
  ['enhance', 'enhanc'], ['backwards', 'backward'], ['matching', 'match'], ['asks', 'ask'],
  ['jestasymmetricmatchers', 'jestasymmetricmatch'], ['standards', 'standard'], ['providing', 'provid'],
  ['returntype', 'returntyp'], ['randomnormallike', 'randomnormallik'], ['sense', 'sens'],
  ['developing', 'develop'], ['planning', 'plan'], ['constantcase', 'constantcas'], ['attached', 'attach'],
  ['dicts', 'dict'], ['terminate', 'termin'], ['grpotrainer', 'grpotrain'], ['invocation', 'invoc'],
  ['samplingparams', 'samplingparam'], ['matches', 'match'], ['reserved', 'reserv'], ['toggles', 'toggl'],
  ['props', 'prop'], ['overloaded', 'overload'], ['updater', 'updat'], ['regenerated', 'regener'],
  ['idbversionchangeevent', 'idbversionchangeev'], ['occurrence', 'occurr'], ['arguments', 'argument'],
  ['leave', 'leav'], ['errors', 'error'], ['nightly', 'nightli'], ['valuable', 'valuabl'],
  ['converting', 'convert'], ['globals', 'global'], ['itemsorter', 'itemsort'], ['lines', 'line'],
  ['defaultvalue', 'defaultvalu'], ['capitalize', 'capit'], ['subpaths', 'subpath'], ['substring', 'substr'],
  ['composition', 'composit'], ['optimize', 'optim'], ['causalconvwithstate', 'causalconvwithst'],
  ['reliability', 'reliabl'], ['easing', 'eas'], ['animate', 'anim'], ['machine', 'machin'],
  ['reuse', 'reus'], ['repeatedly', 'repeatedli'], ['debuggers', 'debugg'], ['based', 'base'],
  ['basevalue', 'basevalu'], ['preserves', 'preserv'], ['notes', 'note'], ['lazily', 'lazili'],
  ['tocamelcasekeys', 'tocamelcasekey'], ['implementations', 'implement'], ['attachments', 'attach'],
  ['mimics', 'mimic'], ['adams', 'adam'], ['closures', 'closur'], ['countby', 'countbi'],
  ['upvote', 'upvot'], ['assemble', 'assembl'], ['frames', 'frame'],
];

describe('porterStem', () => {
  it(`stems ${NLTK_STEMS.length} words as NLTK's default PorterStemmer does`, () => {
    const wrong = NLTK_STEMS.filter(([word, stem]) => porterStem(word) !== stem).map(([w, s]) => `${w}: want ${s}, got ${porterStem(w)}`);
    expect(wrong).toEqual([]);
  });

  it('applies the NLTK irregular-forms table (skies → sky, dying → die, innings → inning)', () => {
    expect(porterStem('skies')).toBe('sky');
    expect(porterStem('dying')).toBe('die');
    expect(porterStem('innings')).toBe('inning');
    expect(porterStem('news')).toBe('news');
  });

  it("keeps NLTK's extensions: 'dies' → 'die' but 'flies' → 'fli', 'enjoy' keeps its y", () => {
    expect(porterStem('dies')).toBe('die');
    expect(porterStem('flies')).toBe('fli');
    expect(porterStem('enjoy')).toBe('enjoy');
    expect(porterStem('happy')).toBe('happi');
  });

  it("stems 'oed' to 'o' without failing (NLTK issue 1581)", () => {
    expect(porterStem('oed')).toBe('o');
  });

  it('lowercases and leaves words of one or two letters alone', () => {
    expect(porterStem('On')).toBe('on');
    expect(porterStem('I')).toBe('i');
    expect(porterStem('Github')).toBe('github');
    expect(porterStem('is')).toBe('is');
  });
});
