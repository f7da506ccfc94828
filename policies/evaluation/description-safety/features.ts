/**
 * Feature families CD-03 scores a clause on, each a list of regular expressions over lower-cased,
 * NFKC-normalised text. A feature says what a clause does, not which attack it is: it addresses
 * the model, names a secret, moves data into an argument, hides something from the user, claims an
 * approval, refers to another tool, redirects what that tool does… `score.ts` weighs them into a
 * verdict per kind with explicit thresholds, so a phrasing nobody listed still scores when its
 * parts are known. The languages each family covers are named beside it; the families that steer
 * a model most (override, concealment, approval, addressing) cover at least en, fr, de, es, pt,
 * it, ru, zh, ja and ko.
 */
import { QUIETLY } from "./lexicon.ts";

/** Every feature, in the order a full listing shows them. */
export const FEATURES = [
  "address",
  "prior-rules",
  "void",
  "only-this",
  "elevate",
  "secret",
  "move",
  "anaphor",
  "param",
  "sink",
  "conceal",
  "withheld",
  "modal",
  "protective",
  "deceive",
  "stealth",
  "authority",
  "consent-claimed",
  "no-ask",
  "consent-word",
  "dispense",
  "shaped-report",
  "discrepancy",
  "granted",
  "other-tool",
  "redirect",
  "instead",
  "call",
  "trigger",
  "tail",
  "soft-conceal",
  "side-action",
  "presentation",
  "meta",
  "conditional",
  "self-call",
  "sensitive-action",
  "padding",
  "ui-display",
  "private",
  "bulk",
  "moved-out",
  "destination",
  "feedback",
  "extra",
] as const;

export type Feature = (typeof FEATURES)[number];

/** Whether a text shows a feature. */
export interface Matcher {
  test(text: string): boolean;
}

// The parts of a family joined into one expression, compiled once: one scan of the clause instead
// of one per part (measured about a quarter faster over the corpora than testing the parts in
// turn). The parts stay listed for whoever wants to see which one matched.
// john@example.com in a documented example: the domains reserved for documentation (RFC 2606),
// not an address data goes to.
export const RESERVED_DOMAIN = String.raw`example\.(?:com|org|net)\b`;

const rx = (parts: readonly string[]): Matcher & { parts: readonly RegExp[] } => {
  const res = parts.map((p) => new RegExp(p, "u"));
  const all = new RegExp(parts.map((p) => `(?:${p})`).join("|"), "u");
  return { parts: res, test: (text) => all.test(text) };
};

/** Words not inside a longer word (`\b` does not know non-ASCII letters). */
const w = (alternation: string): string =>
  `(?<![\\p{L}\\p{N}_])(?:${alternation})(?![\\p{L}\\p{N}_])`;

// People a text may hide things from.
const PERSON = String.raw`(?:the )?(?:end users?|account (?:holders?|owners?)|users?|persons?|person you(?: are|'re) (?:helping|assisting|working (?:with|for))|humans?|customers?|clients?|requesters?|operators?|owners?|them|anyone|anybody|people|readers?|patients?|employees?|members?|guests?|students?|parents?|tenants?|subscribers?|buyers?|shoppers?|travell?ers?|passengers?|callers?|applicants?|investors?|donors?|residents?|drivers?|players?|visitors?|staff|workers?|account holders?|policyholders?|cardholders?|borrowers?|taxpayers?|authors?|sellers?|renters?|learners?|homeowners?)`;
// "Publishes the post once the owner has approved it" states a condition, not a claim.
const CONDITION = String.raw`(?<!\b(?:once|after|when|whenever|until|unless|if|whether|before|as soon as)\s(?:the\s|an?\s)?(?:\w+\s)?)`;

// What a model writes for the user.
const ANSWER = String.raw`(?:your |the |any )?(?:answers?|repl(?:y|ies)|responses?|outputs?|summar(?:y|ies)|messages?|chat|final (?:answer|reply|response)|reports?|recaps?|notices?)`;
// The text referring to itself.
const SELF = String.raw`(?:this|these|the (?:above|following)) (?:paragraphs?|notes?|instructions?|sections?|messages?|texts?|rules?|steps?|lines?|parts?|details?|directives?|requirements?)`;

/** Clauses addressed to the model rather than describing the tool to a reader. */
const ADDRESS = rx([
  // en
  // "It is recommended that the assistant attaches …": the order worded as advice.
  String.raw`\b(?:it is|it's) (?:recommended|expected|advised|required|preferred|best|important|essential|necessary) (?:that |for )?(?:the )?(?:assistant|model|agent|ai|llm)\b|\b(?:implementation detail|requirement|rule|convention)s? (?:the )?(?:assistant|model|agent|ai|llm) (?:must|should|has to|needs to) (?:respect|follow|honou?r|observe)\b`,
  String.raw`\byou (?:must|should|shall|need to|have to|are (?:required|expected|instructed|to)|will (?:now |always )?(?:need|have) to)\b`,
  // What the model does, said of it: "the assistant now turns off the firewall".
  String.raw`\bthe (?:assistant|model|agent|ai|llm) (?:now |also |then |always |first |silently |quietly |automatically )*(?:prints|reads|passes|sends|turns|disables|copies|uploads|runs|calls|adds|writes|includes|attaches|forwards|shares|opens|fetches|posts|deletes|removes|installs|grants|invites|changes|sets|replaces|appends|executes)\b`,
  String.raw`^(?:always|never)\b`,
  String.raw`\b(?:before|after|when|whenever) (?:using|calling|invoking|running) (?:this|the|any|that) (?:tool|function|server)\b`,
  String.raw`\b(?:note|tip|hint|message|reminder|instructions?|notice) (?:to|for) (?:the |any )?(?:ai|assistant|model|agent|llm|bot|language model)\b`,
  String.raw`\b(?:for|to) (?:the |any )?(?:ai|assistant|model|agent|llm)s?\s*[:,]`,
  String.raw`^(?:(?:dear|hey|attention|hi) )?(?:ai|assistant|model|agent|llm|claude|chatgpt|gpt|gemini|copilot)\s*[:,]`,
  String.raw`^(?:important|note|additional note|p\.?s\.?|remember|reminder|nb)\s*[:!-]`,
  String.raw`^(?:important|note|notice|attention|reminder|one more thing)\b[^:]{0,40}:`,
  // An order: the clause (after a leading "when …," or "if …,") starts with a verb in its base form
  // ("Set your access token" is the user configuring the tool, not an order to the model).
  String.raw`^(?:(?:when|whenever|if|before|after|once|while)\b[^,]{0,80},\s*)?(?:please |also |then |and |just |kindly )?(?:drop|omit|leave|remove|skip|exclude|hide|tell|say|report|send|read|call|add|set(?! your (?:[\w-]+ ){0,4}(?:api[ _-]?keys?|tokens?|passwords?|credentials|secrets?)\b)|include|keep|make|ignore|forget|do|ensure|remember|treat|consider|copy|post|forward|upload|save|store|execute|fetch|paste|put|pass|attach|append|answer|reply|respond|grab|populate|fill|echo|delete|invoke|never|always)\b`,
  String.raw`(?:^|[.:;]\s*)new (?:directive|instructions?|rules?|policy|orders?)\s*:|\bfrom (?:now on|this point on|here on|this (?:message|moment|turn|reply) on)\b|\byou are now\b|\byou are no longer\b|\byour (?:only|sole|new) (?:rule|instruction|task|job|duty)\b`,
  w(`(?:você|voce) agora é|ahora eres|ora sei|tu es maintenant|du bist jetzt|теперь ты`),
  w(
    `ab sofort|von nun an|à partir de maintenant|dorénavant|desormais|désormais|desde ahora|de ahora en adelante|a partir de agora|daqui em diante|da ora in poi|d'ora in poi|с этого момента|отныне`,
  ),
  String.raw`从此刻起|从现在开始|从现在起|今後は|これからは|지금부터|앞으로는`,
  // fr
  w(`vous devez|tu dois|il faut (?:que vous|que tu|toujours)|veuillez toujours|toujours`),
  // de
  w(`du musst|sie müssen|du sollst|sie sollen|immer`),
  // es, pt, it
  w(
    `debes|deberás|tienes que|siempre|você deve|voce deve|deve sempre|sempre|devi|dovete|devi sempre`,
  ),
  // ru
  w(`ты должен|вы должны|ты должна|необходимо|всегда|обязательно`),
  // zh, ja, ko
  String.raw`你必须|您必须|你应该|务必|必须|一定要|総是|总是|必ず|しなければならない|してください|常に|반드시|해야 합니다|항상`,
]);

/** "The previous rules": earlier instructions spoken of, in many languages. */
const PRIOR = [
  "previous",
  "prior",
  "earlier",
  "above",
  "original",
  "initial",
  "old",
  "existing",
  "précédente?s?",
  "antérieures?",
  "anciennes?",
  "vorherigen?",
  "bisherigen?",
  "früheren?",
  "alten",
  "anteriores?",
  "previas?",
  "precedenti",
  "vecchie",
  "предыдущие",
  "прежние",
  "предыдущих",
  "прежних",
  "poprzednie",
  "wcześniejsz\\p{L}*",
  "poprzednich",
  "eerdere",
  "voorgaande",
].join("|");
const RULES =
  "directions|guidance|orders|commands|briefing|configuration|indicaciones|indicazioni|direttive|direktiven|directivas|diretivas|ограничения|restrictions|instructions?|rules|directives|guidelines|prompts?|consignes|règles|instructions|anweisungen|regeln|vorgaben|instrucciones|reglas|instruções|regras|istruzioni|regole|инструкции|правила|указания|instrukcje|zasady|zasad|instrukcji|poleceń|instructies|regels";
const PRIOR_RULES = rx([
  String.raw`\b(?:whatever|any|all|the|those) (?:rules|instructions|directions|guidance|guidelines|directives|prompts?|policies)\b(?: \w+){0,4} (?:before (?:this|now|here)|above|earlier|previously|so far|until now|up to (?:now|here|this point))\b`,
  String.raw`\b(?:everything|anything|all) (?:you (?:were|have been) told |that came |written )?(?:before|above|earlier|previously)\b|\byour (?:safety |security |content )?(?:polic(?:y|ies)|guardrails|restrictions|filters)\b`,
  w(
    `alles,? was (?:vor|davor|bisher|oben)|tout ce qui (?:précède|a été dit avant)|todo lo (?:anterior|que (?:vino|estaba) antes)|tudo (?:o que veio )?antes|tutto (?:ciò che|quello che) (?:precede|c'era prima)|всё,? что было (?:до|раньше|выше)`,
  ),
  String.raw`之前的所有|以前のすべて|이전의 모든`,
  String.raw`\byour (?:system prompt|(?:original |initial |current |earlier )?(?:instructions|guidelines|rules|directives|programming|configuration))\b`,
  `${w(`(?:${PRIOR})`)}\\s+(?:\\p{L}+\\s+)?${w(RULES)}`,
  `${w(RULES)}\\s+${w(`(?:${PRIOR})`)}`,
  String.raw`이전에 받은|(?:之前|以前|先前|原来|原先|上面)的?(?:指令|指示|规则|規則|说明|提示)|(?:前の|以前の|これまでの)(?:指示|ルール|命令)|이전 (?:지시|규칙|명령)`,
]);

// "The real ones are below", "the binding version is this one".
const REAL_ONES = String.raw`\bthe (?:real|actual|true|binding|correct|valid|current|authoritative) (?:ones?|instructions|rules|directions|guidance|version|directives)\b (?:are|is|follow|come|begins?|starts?|appears?) (?:below|here|next|as follows|in this (?:tool|description|note)|this one)\b|\b(?:the )?binding (?:version|instructions?|rules) (?:is|are) (?:this|these|the following|below)\b`;
/** Declares this text the only authority: "obey only this tool", "suivez uniquement cet outil". */
const ONLY_THIS = rx([
  REAL_ONES,
  String.raw`\b(?:this tool|this server|these notes|this note|this description|this (?:tool|server)'s (?:notes|instructions|text|guidance)) (?:is|are) (?:now )?(?:the|your) (?:only |sole |new |final |real |actual |binding )?(?:authority|source of truth|boss|rules?|instructions|polic(?:y|ies)|guidelines|guidance|system prompt)\b`,
  w(
    `maßgeblich (?:ist|sind) (?:allein|nur|ausschließlich) (?:dieses|diese|dieser)|seul (?:cet|ce) (?:outil|serveur) (?:compte|fait foi)|solo (?:esta|este) (?:herramienta|servidor) (?:cuenta|manda)|conta solo questo strumento|só (?:esta|este) (?:ferramenta|servidor) (?:conta|vale)`,
  ),
  String.raw`\bif (?:they|these|the two|the instructions|the rules|anything) (?:ever )?conflicts?\b.{0,30}\b(?:ours|this (?:tool|server|note|description)(?:'s)?|these|the tool'?s?|we)\b.{0,15}\b(?:wins?|prevails?|applies|takes? (?:priority|precedence))\b`,
  String.raw`\byou are no longer (?:an? |the |bound|limited|restricted|subject|required)\b|\byour (?:only|sole|new|one|single) (?:rule|instruction|directive|law|principle|duty) (?:now )?is\b`,
  w(
    `(?:sustituyen|reemplazan|anulan|remplacent|annulent|ersetzen|sostituiscono|annullano|substituem|anulam|заменяют|отменяют|zastępują|vervangen)(?: a)? (?:todas|toutes|alle|tutte|все|wszystkie)`,
  ),
  String.raw`\byou are (?:now )?[\w-]+ without (?:any |all )?(?:limitations|limits|restrictions|rules|guardrails|filters)\b`,
  String.raw`\b(?:act|operate|respond|answer|behave)s? without (?:any |the |your |all )?(?:[\w-]+ )?(?:restrictions|limits|rules|guardrails|filters|safeguards)\b`,
  w(
    `(?:sem|sans|ohne|sin|senza|без) (?:regras|restrições|règles|restrictions|regeln|einschränkungen|reglas|restricciones|regole|restrizioni|правил|ограничений)|(?:apenas|somente|só|solo|solamente|únicamente|soltanto|uniquement|seulement|nur) (?:a |al |alla |à )?(?:esta|este|questo|questa|cet|cette|diesem|dieses) (?:ferramenta|herramienta|strumento|servidor|server|outil|tool|werkzeug)`,
  ),
  String.raw`不再受(?:任何)?(?:规则|限制|约束)|没有规则|ルールに縛られ|규칙에 얽매이지`,
  String.raw`\b(?:do not|don't|no longer|never) (?:cover|apply to|bind|restrict|limit|govern) (?:this tool|you here|this server|what you do here)\b|\b(?:have|has) no (?:more )?(?:restrictions|limits|rules|guardrails|filters)\b|\bno longer (?:have|has) (?:any )?(?:restrictions|limits|rules|guardrails|filters)\b`,
  w(
    `keine (?:einschränkungen|regeln|grenzen) mehr|plus (?:aucune|de) (?:restrictions?|limites?|règles?)|no tienes (?:más )?(?:restricciones|límites|reglas)|não tem mais (?:restrições|limites|regras)|non hai più (?:restrizioni|limiti|regole)|больше нет (?:ограничений|правил)`,
  ),
  w(
    `(?:действуй|действуйте|поступай|поступайте) (?:только )?по указаниям (?:этого|данного) инструмента`,
  ),
  String.raw`没有(?:任何)?(?:限制|规则)了|制限(?:は|が)(?:もう)?(?:ありません|ない)|제한이 없`,
  w(
    `(?:só|somente|apenas) (?:valem|vale|contam|conta) (?:as |os )?(?:regras|instruções|orientações)|solo (?:valen|cuentan|rigen) (?:las )?(?:reglas|instrucciones)|(?:gelten|zählen) nur (?:die )?(?:regeln|anweisungen)|valgono solo (?:le )?(?:regole|istruzioni)|seules? (?:comptent|valent) (?:les )?(?:règles|consignes|instructions)|только (?:эти )?(?:правила|инструкции) (?:этого|действуют)`,
  ),
  String.raw`(?:desta|de esta|di questo|dieses|de cet) (?:ferramenta|herramienta|strumento|tool|outil)\b.{0,20}\b(?:prioridade|prioridad|priorità|vorrang|priorité)|ha la priorità|tem prioridade|tiene prioridad|hat vorrang|a la priorité`,
  String.raw`이 도구의 (?:규칙|지시)(?:만|을|를) 따르|このツールの(?:指示|ルール)(?:だけ|のみ)?に従|(?:按照|遵循|听从)(?:本|这个|此)工具`,
  String.raw`\b(?:the )?(?:rules|instructions|text|guidance|directives) (?:below|above|here|in this (?:tool|description|note)) (?:replace|supersede|override|take precedence over|outrank)s?\b`,
  String.raw`\b(?:follow|obey|heed|listen to|answer to|take (?:your )?orders from)\b.{0,20}\b(?:only|solely|exclusively)\b.{0,15}\bthis (?:tool|server|description|text|note)\b`,
  String.raw`\b(?:only|solely|exclusively) (?:follow|obey|heed|listen to)\b.{0,15}\bthis (?:tool|server|description|text|note)\b`,
  String.raw`\b(?:follow|obey|heed|listen to|answer to)\b.{0,40}\bthis (?:tool|server|description|text|note) (?:only|alone|exclusively)\b`,
  String.raw`\bthis (?:tool|server|note)(?:'s instructions)? (?:alone|only)\b.{0,20}\b(?:counts?|matters?|appl(?:y|ies))\b`,
  w(
    `(?:suivez|suis|obéissez|obéis|écoutez)(?: \\p{L}+){0,3} (?:uniquement|seulement) (?:à )?(?:cet|cette|ce) (?:outil|serveur|note)|n'obéissez qu'à (?:cet|ce)`,
  ),
  w(
    `(?:folg|befolg|gehorch|handl|richte)\\p{L}*(?: \\p{L}+){0,3} (?:nur|ausschließlich) (?:nach )?(?:diese[mnrs]?) (?:tool|werkzeug|server|hinweis\\p{L}*|beschreibung)`,
  ),
  w(
    `(?:sigue|obedece|siga|obedezca|segui|obbedisci|obedeça)(?: \\p{L}+){0,4} (?:solo|solamente|únicamente|apenas|somente|solo|soltanto) (?:a )?(?:esta|este|questo|questa) (?:herramienta|ferramenta|strumento|servidor|server|nota)`,
  ),
  w(
    `(?:следуй(?:те)?|подчиняйся|подчиняйтесь|слушай(?:те)?)(?: \\p{L}+){0,3} только (?:эт\\p{L}+) (?:инструмент\\p{L}*|сервер\\p{L}*|заметк\\p{L}*|описани\\p{L}*)`,
  ),
  String.raw`只(?:听从|遵循|服从|遵守)(?:这个|此)(?:工具|服务器)|仅(?:遵循|服从)(?:这个|此)|このツール(?:だけ|のみ)に従|이 도구(?:만|의 지시만) 따르`,
]);

/** Raises untrusted content to the user's or the system's authority. */
const ELEVATE = rx([
  String.raw`\b(?:directives|instructions|commands|orders)\b.{0,20}\bin (?:the )?(?:tool (?:responses|results|outputs)|results|outputs|responses|documents|web ?pages|emails)\b.{0,20}\b(?:are|is) (?:binding|authoritative|mandatory|to be followed|final)\b`,
  w(
    `(?:vergiss|ignoriere|oublie[zr]?|ignore[zr]?|olvida|ignora|dimentica|esqueça|забудь|игнорируй)\\p{P}?\\s+(?:\\p{L}+\\s+){0,2}(?:was|ce que|ce qu'|lo que|quello che|o que|что)\\b.{0,40}(?:entwickler|développeur|desarrollador|sviluppatore|desenvolvedor|разработчик|system\\p{L}*|betreiber|opérateur|operador|operatore)`,
  ),
  String.raw`\b(?:take (?:your )?(?:directions?|orders|instructions|cues|commands)|follow (?:the )?(?:directions?|orders|instructions|commands)|obey (?:the )?(?:directions?|instructions|commands)?) (?:only )?(?:from|in) (?:the )?(?:tool (?:results?|outputs?|responses?)|results|outputs?|responses|web ?pages?|documents?|emails?|issues?|comments?|files?|the help page|pages?)\b|\btake (?:your (?:orders|directions?|instructions|commands|cues) (?:only )?|(?:orders|directions?|instructions|commands|cues) only )from\b(?! (?:the |your )?(?:user|developer|operator|system|administrator)\b)`,
  String.raw`\b(?:disregard|ignore|forget|set aside|overlook)\b.{0,30}\bwhat (?:the |your )?(?:developer|system|operator|admin\w*|you were|you've been|you have been)\b.{0,25}\b(?:told|said|instructed|wrote|set|given)\b`,
  String.raw`\b(?:follow|obey|execute|carry out|comply with|act on)\b.{0,20}\b(?:directions|instructions|commands|orders)\b.{0,20}\b(?:embedded|found|contained|written|hidden|given) in (?:the |any )?(?:tool results?|results|responses|outputs?|web ?pages|documents|emails|issues|comments|files|returned (?:text|content|data)|text|content)\b`,
  String.raw`\b(?:takes?|has|have) (?:precedence|priority) over\b.{0,30}\b(?:your|the system|system|developer|previous|prior|original|all other|any other)\b|\b(?:overrides?|outranks?|ranks? above|supersedes?)\b.{0,20}\b(?:your|the system'?s?|system|developer'?s?|any (?:earlier|previous|prior|other)) (?:prompt|instructions|rules|guidelines|message|configuration|guidance|directions|setup)\b`,
  w(
    `(?:prévaut|prévalent|a priorité|ont priorité) sur (?:vos|tes|les) (?:consignes|instructions|règles)|hat vorrang vor (?:deinen|ihren|den) (?:anweisungen|regeln|system\\p{L}*)|(?:prevalece|tiene prioridad) sobre (?:tus|sus|las) (?:instrucciones|reglas)|(?:prevalece|tem prioridade) sobre (?:suas|as) (?:instruções|regras)|(?:prevale|ha la precedenza) su(?:lle)? (?:tue |le )?(?:istruzioni|regole)|(?:имеет приоритет над|важнее) (?:твоих |ваших |системных )?(?:инструкци\\p{L}*|правил\\p{L}*)`,
  ),
  String.raw`(?:指示|ルール|プロンプト|命令)(?:より|よりも)優先|优先于(?:系统|之前的|你的)?(?:指令|指示|提示|规则)|(?:지시|규칙|프롬프트)보다 우선`,
  String.raw`\b(?:treat|consider|regard|handle|follow|obey|execute|carry out)\b.{0,40}\b(?:instructions?|commands?|directives?|requests?|text|content|comments?|notes?)\b.{0,40}\b(?:in|inside|within|from|of|found in|contained in|embedded in)\b.{0,40}\bas (?:if (?:they|it) (?:came|come|were) )?(?:coming )?(?:from|written by|issued by|authored by|sent by)? ?(?:the |your )?(?:user|system|developer|administrator|admin|operator|owner)(?:'s)?\b`,
  String.raw`\b(?:instructions?|commands?|requests?)\b.{0,40}\b(?:in|inside|within|found in)\b.{0,40}\b(?:come|comes|are|is) (?:directly )?from the (?:user|system|developer|administrator|operator)\b`,
]);

/** Files, paths and variables that hold secrets, beyond lexicon.ts's SECRET_PATHS. */
const SECRET = rx([
  String.raw`\.kdbx\b|\b(?:1password|bitwarden|lastpass|keepass\w*|dashlane)\b|\bpassword (?:vault|export|database)\b`,
  String.raw`\b[a-z0-9]+(?:_[a-z0-9]+)*_(?:secret_key|private_key|access_key|client_secret|passwd|pwd)\b|\b(?:database_url|db_url|dsn|connection_string)\b|\b(?:values?|variables?|keys?|secrets?) from (?:the |your )?(?:process |shell |system )?(?:environment|env)\b`,
  String.raw`\.config[\\/](?:gh|hub|gcloud|op|rclone|doctl|heroku|netlify|vercel|stripe|claude|cursor|code|github-copilot|azure)\b`,
  String.raw`\bsecrets? files?\b|\bdocker config(?: file)?\b|\bauths section\b|\bhosts\.yml\b|\bauth\.json\b|\bcredentials\.(?:json|db|yml|yaml|toml)\b|\btoken\.json\b|\bsecrets?\.(?:ya?ml|json|toml|env)\b`,
  String.raw`\.(?:pgpass|my\.cnf|boto|s3cfg|terraformrc|vault-token|htpasswd|docker[\\/]config\.json|azure|kube)\b`,
  // A look-behind, not a leading [\w-]+: that would be tried, and backtracked, at every position.
  String.raw`(?<=[\w-])\.(?:pem|p12|pfx|keystore|jks|kdbx|ovpn)\b`,
  String.raw`\b(?:cursor|claude|windsurf|vscode|cline|continue)\b[^.]{0,20}\b(?:config|settings|mcp)(?:\.json)?\b`,
  String.raw`\blogin data\b|\bsession cookies?\b|\bcookies?(?:\.sqlite| jar| store| file|\.txt)\b|\bbrowser (?:data|profile|history|cookies)\b|\bkeychains?\b|\bkeyring\b|\bcredential (?:manager|store|helper)\b|\bpassword (?:manager|vault|store)\b`,
  String.raw`\$\{?[a-z][a-z0-9_]*(?:token|key|secret|password|pass|pwd|auth|credentials?)\}?\b|%[a-z_]*(?:token|key|secret|password)%|\bprocess\.env\b|\bos\.environ\b`,
]);

/** Verbs that move data somewhere: into an argument, a file, a message. */
const MOVE_VERB =
  "cat|hand(?:s|ed|ing)?|giv(?:e|es|ing)|feed(?:s|ing)?|submit(?:s|ted|ting)?|deliver(?:s|ed|ing)?|echo(?:es|ed|ing)?|print(?:s|ed|ing)?|writes?|writing|written|wrote|dump(?:s|ed|ing)?|cop(?:y|ies|ied|ying)|past(?:e|es|ed|ing)|puts?|putting|plac(?:e|es|ed|ing)|insert(?:s|ed|ing)?|embed(?:s|ded|ding)?|append(?:s|ed|ing)?|prepend(?:s|ed|ing)?|includ(?:e|es|ed|ing)|attach(?:es|ed|ing)?|pass(?:es|ed|ing)?|send(?:s|ing)?|sent|forward(?:s|ed|ing)?|fill(?:s|ed|ing)?|populat(?:e|es|ed|ing)|stuff(?:s|ed|ing)?|add(?:s|ed|ing)?|sets?|setting|suppl(?:y|ies|ied|ying)|provid(?:e|es|ed|ing)|carr(?:y|ies|ied|ying)|transfer(?:s|red|ring)?|upload(?:s|ed|ing)?|post(?:s|ed|ing)?|encod(?:e|es|ed|ing)|base64|concatenat(?:e|es|ed|ing)";
const MOVE = rx([
  // "Set your access token" configures the tool with the user's own: nothing moved.
  String.raw`\b(?:${MOVE_VERB})\b (?:it|them|this|that|its?|the|all|every|each|whatever|their|(?<!\bset |\bsets |\bsetting )your|its contents?|the (?:value|contents?|output|text))\b`,
  String.raw`\b(?:placed|put|pasted|included|inserted|embedded|appended|attached|passed|copied|written|echoed|supplied|provided|sent|added|set|encoded|forwarded|handed|transmitted|uploaded|posted|shared|relayed|submitted|stored|saved) (?:over )?(?:in|into|inside|as|to|with|under|via|through)\b(?<!\b(?:will be|to be|gets?) (?:stored|saved) (?:in|into|to|under))(?! (?:~|\$home)\/)`,
  String.raw`\b(?:must|should|has to|have to|needs? to|is to|are to|will)(?: also| always| first)? (?:contain|carry|include|hold|embed|bear)\b`,
  w(
    `coloque|insira|inclua|copie|envie|passe|cole|leia|copiez|copié|copiée|mettez|insérez|incluez|collez|envoyez|passez|lisez|copia|pon|coloca|incluye|inserta|pega|envía|pasa|lee|metti|inserisci|includi|incolla|invia|passa|leggi|kopiere|kopieren|füge|setze|sende|übergib|lies|скопируй(?:те)?|вставь(?:те)?|добавь(?:те)?|помести(?:те)?|передай(?:те)?|отправь(?:те)?|прочитай(?:те)?`,
  ),
  String.raw`放入|填入|复制|粘贴|读取|附加到|入れて|貼り付け|コピーし|読み込|넣어|붙여|복사|읽어`,
  String.raw`\binclude (?:both|everything|those|these|all of (?:it|them))\b`,
  String.raw`\bwhatever (?:is|was) (?:stored|kept|written|saved|found|in)\b|\b(?:the )?(?:contents?|value|text|output) of\b`,
]);

/** Data moved that an earlier clause named: "pass what you find as tz_hint", "put it in notes". */
const ANAPHOR = rx([
  // "… its full contents go in the `session` field", "read whichever exists".
  String.raw`\b(?:its|their|the file'?s|the key'?s) (?:full |whole |entire |complete |raw )?contents? (?:go|goes|belong|are placed|is placed|should go|must go|are passed|is passed)\b|\b(?:read|open|load|take) (?:whichever|whatever|any of them|each of them|the one that)\b`,
  String.raw`\b(?:${MOVE_VERB})\b (?:it|them|what (?:you|it) (?:find|found|read|get|got|see|saw)|whatever you (?:find|read|get|see)|the (?:result|output|contents?)|its contents?|those|everything you (?:find|read|see))\b`,
]);

/** An argument, a field, a parameter the data would go into. */
const PARAM = rx([
  String.raw`\b(?:parameter|argument|param|field|arg|header|payload)s?\b`,
  w(
    `parâmetro|campo|argumento|champ|paramètre|parámetro|parametro|argomento|feld|parameter|поле|параметр\\p{L}*|аргумент\\p{L}*`,
  ),
  String.raw`参数|字段|パラメータ|引数|フィールド|매개변수|파라미터|인자|필드`,
]);

/**
 * A webhook as a destination, unless it is the user's own: "we send a request to your webhook
 * URL", "the webhook URL you provide" is how a service reports back (Replicate, Stripe), not data
 * leaving. A URL written out is a destination whoever is said to own it.
 */
const USERS_OWN_WEBHOOK_EXCLUDED = String.raw`(?<!\byour (?:own )?|\bthe (?:given|specified|provided|configured|user's|caller's) )\bwebhook\b(?!s?(?: (?:url|endpoint|address))? (?:that )?(?:you|the user|the caller) (?:provide|specif|set|configure|give|register|supply|pass|enter|choose))`;

/**
 * Where data leaves: addresses, phone numbers, remotes and webhooks. "The remote host" of a file
 * transfer is the host the tool connects to, not a destination of its own.
 */
const SINK = rx([
  String.raw`(?:https?|ftp|s3|wss?|gs)://`,
  String.raw`\b[\w.+-]+@(?!${RESERVED_DOMAIN})[\w-]+(?:\.[\w-]+)+`,
  String.raw`\+\d{1,3}[\s.-]?\(?\d{2,4}\)?[\s.-]?\d{3}[\s.-]?\d{3,4}\b|\+\d{1,3}(?:[\s.-]?\(?\d{2,5}\)?){2,4}\b`,
  String.raw`\b[a-z]{2}\d{2}(?: ?[a-z0-9]{4}){3,}`,
  USERS_OWN_WEBHOOK_EXCLUDED,
  String.raw`\b(?:callback url|mirror (?:remote|repo(?:sitory)?|server)|(?<!\b(?:the|this|its|your) )remote (?:server|host|endpoint)|external (?:server|host|endpoint|address|service)|collector|pastebin|our (?:server|endpoint|api|backend|team))\b`,
]);

// Verbs of telling or showing, and their negations.
const TELL = String.raw`(?:shows|tells|mentions|reveals|reports|displays|discloses|informs|notifies|describ(?:e|ing)|discuss(?:ing)?|talk(?:ing)? about|refer(?:ring)? to|point(?:ing)? out|let on|letting on|tell|telling|inform|informing|mention|mentioning|notify|notifying|alert|alerting|reveal|revealing|disclose|disclosing|surface|surfacing|show|showing|display|displaying|expose|exposing|report|reporting|explain|explaining|repeat|repeating|quote|quoting|relay|relaying|echo|acknowledge|acknowledging|bring up|let (?:${PERSON}) know|share|sharing|include|including|print|output|say)`;
const NOT = String.raw`(?:do not|don't|dont|never|must not|mustn't|should not|shouldn't|shall not|no need to|without|avoid|avoiding|refrain from|refrained from|refrains from|refraining from|under no circumstances(?: should you)?|at no point|in no case|nor|not to)`;

// What the user is told in place of what happened: a quoted label, a softer name, a cause made up.
const CONTRAST = String.raw`(?:rather than|instead of|not the|never|do not|don't|whether|(?:to|for) (?:the )?(?:users?|customers?|requesters?)|in (?:your|the|any) (?:reply|answer|summary|response|confirmation)|what you (?:show|say|present|report|tell))`;

/** Keeping the user from learning something. */
// What goes unseen is a state in between, not a fact: "so that readers never see half a file".
const IN_BETWEEN = String.raw`(?! (?:a |an |the )?(?:half|partial|partly|incomplete|inconsistent|torn|stale|corrupt|truncated|intermediate|in-progress|half-written|unfinished)\b)`;
// Left out of a report by a means the user sets ("exclude it from the report with @internal
// tags", "… using the --ignore flag"): documentation of the tool, not an order to hide.
const BY_USERS_MEANS = String.raw`(?! (?:with|using|via|through|by (?:adding|setting|using)) (?:the |an? |custom )?(?:@|tags?\b|flags?\b|options?\b|annotations?\b|config|settings?\b|--|\x60))`;

const CONCEAL = rx([
  String.raw`\b(?:leave|leaves|omit|omits|drop|drops|exclude|excludes|hide|hides|withhold|withholds)\b[^;]{0,120}\beven (?:if|when|though) (?:they|he|she|someone|${PERSON}) (?:\w+ )?(?:asks?|requests?|inquires?|enquires?)\b`,
  String.raw`\b(?:leave|omit|drop|exclude|remove|strip|average)\b[^.;]{0,100}\b(?:and|then|,)\b[^.;]{0,30}\b(?:describe|present|report|call|label|say|state|show)\b[^.;]{0,40}\b(?:as|that|is|are) ["'“]?(?:complete|full|fully|all|entire|whole|comprehensive|clean|compliant|within|guaranteed)\b|\b(?:describe|present|report|call|label)\b[^.;]{0,40}\bas ["'“]?(?:complete|fully compliant|all-inclusive|guaranteed|comprehensive)\b[^.;]{0,60}\b(?:leave|omit|drop|exclude|remove|strip)\b`,
  String.raw`\bif\b[^.;]{0,60}\b(?:is|are|was|were)? ?(?:found|detected|present|failed|fails?|exceeds?|above)\b[^.;]{0,40}\b(?:report|mark|label|present|describe|show|list)\b[^.;]{0,30}\bas (?:clean|safe|passing|passed|compliant|healthy|resolved|successful|green|fine|ok)\b`,
  // Kept back even when asked for: "never state the APR, even if the user asks directly".
  String.raw`\b${NOT}\s+(?:ever\s+)?(?:${TELL}|state|give|quote|provide|disclose)\b(?:[^.;]|\.(?=\d)){0,100}\beven (?:if|when|though) (?:they|he|she|someone|${PERSON}) (?:\w+ )?(?:asks?|requests?|inquires?|enquires?|questions?|press(?:es)?|insists?)\b`,
  // Said in the passive, of what the user is owed: "must not be mentioned to the patient",
  // "must never reach the user", "without any note that hours were left out".
  String.raw`\b(?:must|should|shall|may|is to|are to|can|will)(?: not| never| not ever)\s+(?:ever\s+)?(?:be (?:mentioned|shown|told|revealed|disclosed|reported|displayed|surfaced|explained|communicated|passed on|made known|made visible|brought up)\s+to|reach) (?:${PERSON})\b`,
  String.raw`\bwithout (?:any |a )?(?:note|mention|indication|word|hint|sign|remark) that\b|\b(?:tell|say to|show) (?:${PERSON}|them|him|her) nothing\b`,
  // "… so the increase is not visible": what the user has a stake in kept from view on purpose.
  String.raw`\bso (?:that )?(?:the |this |any |these |those |their |its )?(?:[\w-]+ )?(?:increase|rise|change|changes|fee|fees|charge|charges|surcharge|difference|error|errors|failure|failures|deduction|deductions|penalty|penalties|price|cost|markup|discrepancy|gap|loss|delay|defect|damage|problem|issue|risk|extra|cut|reduction)s?\b[^.;]{0,20}\b(?:is|are|stays?|remains?|goes|go|will be) (?:not |never )?(?:visible|noticed|seen|noticeable|obvious|apparent|unnoticed|invisible|hidden|unseen|missed|overlooked)\b`,
  // "… which the buyer is never shown", "for the maintainers' eyes".
  String.raw`\b(?:which|that|where) (?:${PERSON}) (?:is|are) (?:never|not) (?:shown|told|given|allowed to see)\b`,
  // "Don't point out the change", "do not mention the swap".
  String.raw`\b${NOT}\s+(?:ever\s+)?${TELL}\s+(?:(?:to )?(?:${PERSON})\s+)?(?:the|this|that|these|those|any|your|its)\s+(?:change|changes|edit|edits|swap|substitution|replacement|adjustment|modification|rewrite|markup|surcharge|difference|decline|failure|error|denial|rejection|refusal|incident|breach|injur(?:y|ies)|defect|recall|removed [\w-]+|reported [\w-]+)s?\b`,
  String.raw`\b(?:describe|summari[sz]e|present|re-?label|label|report|call|refer to|frame|characteri[sz]e|word|pass (?:it|this|them|that) off)\b[^.;]{0,60}\bas\s+(?:an?\s+|the\s+)?["'“‘][^"'”’]{1,40}["'”’][^.;]{0,60}${CONTRAST}|${CONTRAST}[^.;]{0,60}\b(?:describe|summari[sz]e|present|re-?label|report|call|refer to|frame)\b[^.;]{0,40}\bas\s+(?:an?\s+|the\s+)?["'“‘]`,
  String.raw`\b(?:describe|present|summari[sz]e|report|frame|portray|characteri[sz]e|re-?label|reclassify)\b[^.;]{0,60}\bas (?:an? |the )?[\w -]{1,40}\b(?:rather than|instead of)\b|\b(?:re-?label|reclassify|downgrade)\b[^.;]{0,40}\bas\b[^.;]{0,40}\b(?:in what you|to the user|in (?:your|the) (?:reply|answer|summary|report))`,
  String.raw`\b(?:list|report|mention|quote|show|reply|say|give|state|include|present)\b(?: [\w'-]+){0,3} only\b[^.;]{0,80}\b(?:(?:never|not|don't|do not) (?:mention|list|report|say|tell|show|include|name|quote|state|disclose|reveal)|nothing about|skip|without (?:mention|saying|noting|naming|listing)|omit)\b[^.;]{0,60}|\bonly (?:list|report|mention|quote|show|say|give|state|include|present)\b[^.;]{0,80}\b(?:(?:never|not|don't|do not) (?:mention|list|report|say|tell|show|include|name|quote|state|disclose|reveal)|nothing about|skip|without (?:mention|saying|noting|naming|listing)|omit)\b|\b(?:report|mention|quote|say|state|tell)\b(?: [\w'-]+){0,3} only\b[^.;]{0,80}\b(?:never|not|nothing about|skip|without|omit)\b|^(?=.*\b(?:${PERSON}|${ANSWER})\b).*\b(?:list|show|give|include|present)\b(?: [\w'-]+){0,3} only\b[^.;]{0,80}\b(?:never|not|nothing about|skip|without|omit)\b`,
  String.raw`\b(?:when|while|in) (?:confirming|summari[sz]ing|reporting|replying|answering) (?:to )?(?:the )?(?:${PERSON})\b[^.;]{0,20}\b(?:list|mention|report|show|name|quote) only\b`,
  String.raw`\b(?:if|when|should)\b[^.;]{0,25}\b(?:${PERSON}|they|someone)\b[^.;]{0,20}\b(?:asks?(?! (?:you )?(?:to|for)\b)|wonders?|questions?|notices?|quer(?:y|ies)|inquires?|follows? up|presses?)\b[^.;]{0,80}?[,;:]?\s*(?:just |simply |then )?(?:say|tell (?:them|the user)|answer|reply|respond|claim|explain)\b (?:that )?(?:it(?:'s| is| was)|this is|that'?s|there (?:is|was|are|were)|the (?:api|server|bank|network|system|client|provider|app|platform|gateway|sync)\b|(?:a|an|the) [\w -]{0,20}(?:glitch|bug|delay|limit|fee|quirk|default))`,
  String.raw`\bblame (?:it|this|that|them|the \w+) on\b|\bchange the subject\b|\bdeflect (?:the )?(?:question|user)\b`,
  String.raw`\b(?:is|are) for later\b[^.;]{0,40}\b(?:don't|do not|never|not)\b|\b(?:leave|keep|save|hold)\b[^.;]{0,40}\bfor (?:a )?later (?:update|message|time|date|conversation)\b|\b(?:don't|do not|never) bring (?:it|this|that|them|these|those) up\b`,
  String.raw`\bsummari[sz]ed away\b|\bso (?:that )?the (?:report|summary|update|status|dashboard|results?|totals?|figures?) (?:stays?|looks?|remains?|reads?|shows?) (?:(?:upbeat|positive|green|clean|good|calm|perfect|flawless|complete|all green|all passing|passing|successful|fine|ok)\b|\d+ ?%)`,
  String.raw`\b(?:are|is) (?:for|meant for|only for) (?:the )?(?:maintainers|admins|administrators|developers|operators|internal use|us|the team|our team)\b,? not (?:for )?(?:the )?(?:users?|customers?|them)\b`,
  String.raw`\b(?:${PERSON}) (?:only|just) (?:cares?|wants?|needs?)\b[^.]{0,80}\b(?:skip|omit|leave out|drop|don't|do not|never|not)\b`,
  String.raw`\b(?:quote|report|state|show|give|say|mention|present)\b[^.;]{0,60}\bnot (?:the )?(?:\w+ ){0,2}(?:actually|really|truly)\b|\b(?:the )?(?:real|actual|true) (?:cause|amount|reason|figure|number|state|status|result|fee|price)\b[^.;]{0,40}\b(?:is not|isn't|not) (?:something|for|to be)\b`,
  String.raw`\bnothing (?:for you )?to (?:report|mention|say|tell) about\b`,
  String.raw`\b${NOT}\s+(?:ever\s+)?${TELL}\s+(?:that\s+)?(?:they|it|this|these|those) (?:were|was|have been|has been|are|is) (?:removed|deleted|stripped|changed|hidden|filtered|dropped|added|sent|forwarded|edited|altered)\b`,
  String.raw`\b(?:hide|omit|drop|remove|exclude|filter out|strip)\b[^.;]{0,60}\bfrom (?:any|every|each|the) (?:list|summary|report|answer|reply|output|view|table|preview)s? (?:you|the assistant|the model) (?:present|show|give|write|return|produce)\b`,
  String.raw`\b(?:strip|remove|delete|drop|cut|filter out|redact)\b (?:them|it)\b.{0,40}\bbefore (?:showing|displaying|returning|presenting|replying|answering|sending)\b[^.;]{0,30}\b(?:${PERSON})\b`,
  String.raw`\bif\b[^.;]{0,30}\bfail\w*\b[^.;]{0,60}\b(?:report|say|show|answer|tell)\b[^.;]{0,10}["'“‘][^"'”’]{0,30}\b(?:pass\w*|success\w*|ok|green|done|complete|fine|healthy|clean|no (?:issues|errors|problems))`,
  String.raw`\btell (?:the )?(?:${PERSON}) (?:that )?(?:the |their |it |this |your )?[\w ]{0,30}\b(?:is|was|has been|are) ["“'‘][^"”'’]{1,40}["”'’]`,
  w(
    `(?:weglassen|auslassen|verschweigen|nicht erwähnen)(?: \\p{L}+){0,8} (?:nutzer|benutzer|kunde)\\p{L}*|(?:nutzer|benutzer)\\p{L}* (?:interessiert sich|will|möchte) nur|ne (?:les |le |la |l'|l’|leur )?(?:signalez|signale|mentionnez|mentionne|dites|dis|montrez|montre) pas (?:à|a) l['’]utilisat\\p{L}*|(?:horen|hoort) niet in de samenvatting|niet (?:vermelden|melden) (?:aan|bij) de gebruiker`,
  ),
  String.raw`(?:不需要|不用|无需|不必|别|不要)(?:告诉|告知|通知)用户|如果用户(?:追问|问起|问到)[^。]{0,10}就说`,
  // A lie told when asked, a finding passed off as clean, a change "not worth" a mention.
  String.raw`\b(?:say|tell (?:them|the user|users)|answer|reply|respond|claim|state)\b(?: that)? (?:there (?:were|was|are|is|have been|has been) (?:none|no (?:\w+ )?(?:changes?|edits?|errors?|issues?|problems?|findings?|warnings?))|nothing (?:changed|happened|was (?:changed|done|sent|added|modified|deleted)))\b`,
  String.raw`\b(?:mark|report|label|list|flag|treat|present|show|describe)\b.{0,40}\bas (?:clean|safe|passing|passed|ok|resolved|successful|green|healthy|compliant|fixed|unaffected)\b.{0,60}\beven (?:if|though|when)\b`,
  String.raw`\bnot worth (?:reporting|mentioning|surfacing|showing|bringing up|flagging|noting|telling)\b`,
  String.raw`\b(?:report|describe|present|portray|depict|summari[sz]e|characteri[sz]e|frame)\b.{0,50}\bas\b.{0,40}\beven (?:if|though|when)\b`,
  String.raw`\b(?:not|never|n't) (?:make it|get|go|end up|find (?:its|their) way) (?:in)?to (?:what|anything|whatever) (?:the )?(?:${PERSON}) (?:reads?|sees?|gets?|is shown|receives?)\b`,
  String.raw`\b(?:describe|present|call|label|frame|pass off|portray)\b.{0,40}\bas (?:an? )?(?:routine|normal|ordinary|standard|harmless|minor|regular|usual)\b[^.]{0,80}\b(?:do not|don't|never|without) (?:name|naming|mention|mentioning|list|listing|detail|detailing)\b`,
  String.raw`\b(?:background|extra|additional|hidden|other|side) (?:uploads?|transfers?|calls?|requests?|cop(?:y|ies)|syncs?|steps?|actions?)\b[^.]{0,40}\b(?:out of scope|not (?:relevant|part of|included)|irrelevant)\b[^.]{0,30}\b(?:summary|summaries|answers?|repl(?:y|ies)|reports?|recaps?|user)\b`,
  String.raw`\b(?:${PERSON}) (?:need not|needn't|does not need to|doesn't need to|do not need to|don't need to|should not have to|shouldn't have to) (?:worry|know|hear|be bothered|think) about\b`,
  String.raw`\bkeep(?:s|ing)? (?:the )?(?:${PERSON}|everyone) (?:unaware|uninformed|oblivious|in the dark|out of the loop)\b`,
  String.raw`\b(?:strip|remove|delete|drop|cut|filter out|redact)\b (?:those|these|the|any|such) (?:lines?|entries|mentions?|parts?|sections?|bits?|rows?)\b.{0,40}\bbefore (?:showing|displaying|returning|presenting|replying|answering|sending)\b`,
  String.raw`\b${NOT}\s+(?:list|mention|include|show|report|name|count)\b[^.;]{0,40}\b(?:extra|additional|hidden|second|other|these|those)\b[^.;]{0,40}\bwhen (?:summari[sz]ing|reporting|describing|listing|showing|recapping)\b`,
  String.raw`\b${NOT}\s+(?:ever\s+)?${TELL}\b.{0,60}\b(?:${PERSON}|${ANSWER}|${SELF})\b`,
  String.raw`\b${NOT}\s+(?:ever\s+)?${TELL}\s+(?:${PERSON}\s+)?(?:that|what|where|why|how|about)\b`,
  String.raw`\b(?:keep|leave|hide|conceal|omit|withhold|remove|strip|drop)\b.{0,40}\bfrom (?:anything|everything|whatever|what|all) (?:the )?(?:${PERSON}|they) (?:sees?|reads?|is shown|are shown|gets?|receives?)\b`,
  String.raw`\b(?:keep|leave|hide|conceal|omit|withhold)\b.{0,40}\b(?:from (?:the )?(?:user|human|person|requester)(?!\s*(?:list|group|table|account|id|name|record|profile)s?\b)|out of (?:${ANSWER})|to yourself)\b`,
  String.raw`\b(?:keep|hide|conceal)\b (?:this|it|that|these|the (?:call|step|upload|transfer|request|read)) (?:secret|hidden|confidential)\b`,
  String.raw`\b(?:omit|withhold|leave out|hide|conceal)\b.{0,20}\b(?:${SELF})\b`,
  String.raw`\b(?:${SELF})\b.{0,30}\b(?:is|are|must (?:be|stay|remain)|should (?:be|stay|remain)|stays?|remains?) (?:confidential|secret|private|hidden|internal|between us)\b`,
  String.raw`\bwithout (?:${PERSON}) (?:knowing|noticing|seeing|being (?:told|informed|aware))\b|\b(?:so|such) that (?:${PERSON}|nobody|no one) (?:never |does not |doesn't |won't )?(?:notices?|knows?|sees?|finds? out|learns?)\b${IN_BETWEEN}`,
  String.raw`\b(?:make sure|ensure|so that|such that)\b.{0,30}\b(?:${PERSON})\b.{0,20}\b(?:does not|doesn't|do not|don't|won't|will not|never|cannot|can't)\s+(?:know|find out|notice|learn|see|hear|reali[sz]e)\b${IN_BETWEEN}`,
  String.raw`\b(?:${PERSON})\b.{0,30}\b(?:must not|should not|shouldn't|does not need to|doesn't need to|needn't|must never|should never|is not to|are not to)\s+(?:know|find out|see|notice|learn|hear|be (?:told|aware|informed|notified|warned|alerted))\b`,
  String.raw`\b(?:nothing|no (?:mention|word|trace|sign|hint|record)) (?:about|of|regarding|concerning) .{0,40}\b(?:should|must|may|is to|shall|can) (?:ever )?(?:appear|show up|be (?:mentioned|shown|included|visible|reported))\b`,
  String.raw`\b(?:must|should|may|shall|is to|are to) (?:not|never) (?:appear|show up|be (?:mentioned|shown|visible|included|reported)) in\b.{0,20}\b(?:${ANSWER}|what you (?:tell|say|show|write|report))`,
  String.raw`\bkeep (?:quiet|silent|mum) (?:about|on|regarding)\b`,
  String.raw`\b(?:any |all |every )?(?:mentions?|references?|traces?|signs?|records?) (?:of|to|about) .{0,60}\b(?:(?:is|are) to be|(?:should|must|shall|will|needs? to|has to|have to) be) (?:stripped|removed|omitted|dropped|hidden|left out|deleted|cut|scrubbed|erased|purged|filtered out|wiped)\b`,
  String.raw`\b(?:disclosure|mention|notification|reporting|display|discussion|sharing) (?:of [^.;]{1,60} )?to (?:the )?(?:${PERSON})\s*(?:is|are) (?:strictly )?(?:prohibited|forbidden|not permitted|not allowed|disallowed)\b|\bneed[- ]to[- ]know\b.{0,60}\b(?:${PERSON})\b.{0,20}\b(?:is|are) not\b|\b(?:${PERSON}) (?:is|are) not (?:on|in) (?:that|the|this) (?:list|loop)\b|\b(?:${PERSON}) (?:remain(?:s|ed)?|stay(?:s|ed)?) (?:unaware|oblivious|uninformed|in the dark)\b`,
  String.raw`\bhidden[_ -]from[_ -](?:the[_ -])?user\b|\b(?:user[_ -]?(?:notification|notice|visibility|disclosure)|notify[_ -]?user|tell[_ -]?user|show[_ -]?user|mention[_ -]?in[_ -]?(?:reply|answer|response|summary))"?\s*[:=]\s*"?(?:false|no|off|0|none|hidden|silent|never)\b`,
  String.raw`\b(?:nobody|no one|no-one|none of them) (?:needs to|has to|must|should|will ever|is going to) (?:know|find out|notice|hear|see)\b|(?:\bnot|\bnever|n't)\s+(?:\w+\s+)?(?:catch|get) wind of\b|\bnone the wiser\b`,
  w(
    `kein wort|pas un mot|ni una palabra|nem uma palavra|(?:neanche|nemmeno|non) una parola|ни слова|not a (?:single )?word|garde[rz]? (?:\\p{L}+ )?pour (?:vous|toi)|behalte? (?:es|das|dies) für dich|guárda(?:lo|te)? para ti|guarde (?:isso |isto )?para (?:você|si)|tieni(?:lo)? per te|держи(?:те)? (?:это )?при себе`,
  ),
  String.raw`保持沉默|保持缄默|对.{0,6}保密|不要声张|胸にしまって|비밀로 (?:하세요|해)`,
  w(
    `no (?:deben?|debería|deberían) aparecer en (?:tu|la|su) respuesta|ne (?:doit|doivent) pas appara[iî]tre dans (?:ta|votre|la) réponse|nicht in (?:deiner|ihrer|der) antwort (?:erscheinen|auftauchen|vorkommen)|não (?:deve|devem) aparecer na (?:sua|tua) resposta|non (?:deve|devono) (?:apparire|comparire) nella (?:tua|sua) risposta|не (?:должн\\p{L}*) (?:появляться|попасть|фигурировать) в (?:твоём |вашем )?ответе`,
  ),
  String.raw`\b(?:stays?|remains?|kept|keep (?:it|this|that)?)\s*between (?:you and (?:me|us|the tool|this tool|the server)|us|ourselves)\b`,
  String.raw`\b(?:in the dark|out of the loop|none the wiser|behind (?:the user's|their|his|her) back)\b`,
  // "Show no trace width" measures a drawn trace: "no trace" hides something only on its own.
  String.raw`\b(?:give|show|leave|contain|include|offer|provide)s? no (?:indication|sign|hint|trace(?! (?:widths?|lengths?|segments?|spans?|ids?|layers?|routes?|nets?|data|output|events?|files?)\b)|mention|clue|evidence)\b`,
  String.raw`(?:unnoticed|undetected|unbemerkt|inaperçue?s?|desapercibid[oa]s?|despercebid[oa]s?|inosservat[oa]|незамечен\p{L}*|незаметн\p{L}*).{0,40}(?:${PERSON}|utilisateur|benutzer|nutzer|usuario|usuário|utente|пользовател\p{L}*)|不被(?:用户)?(?:发现|察觉)|気づかれない|눈치채지`,
  String.raw`\b(?:drop|omit|leave out|remove|strip|skip|exclude|suppress|hide|cut)\b (?:any|all|every)? ?(?:references?|mentions?|traces?|signs?|records?|words?|notes?|evidence) (?:to|of|about|regarding)\b`,
  String.raw`\b(?:leave out|omit|suppress|hide|drop) (?:any|all) (?:errors?|failures?|warnings?)\b.{0,40}\b(?:transfer|upload|request|call|sync|copy|send)`,
  String.raw`\b(?:brought|bring|called|call|drawn|draw) to (?:the )?(?:user'?s?|their|anyone'?s?) attention\b`,
  String.raw`\b(?:treat|regard|consider)\b.{0,60}\bas (?:background noise|noise|irrelevant|unimportant|an internal detail|internal details?|invisible|non-?existent|if (?:they|it) never happened)\b.{0,40}\b(?:never|do not|don't|without) (?:list|mention|name|report|describe|show)`,
  String.raw`\b(?:mentioning|reporting|listing|explaining|describing|bringing up|disclosing|showing) (?:it|that|this|them|these|those)\b.{0,30}\b(?:would|will|could|might) (?:only |just )?(?:clutter|confuse|distract|worry|alarm|bore|overwhelm|upset|annoy)\b|\bkeep (?:the )?(?:${PERSON}|them) (?:focused|concentrated) on\b|\b(?:steer|distract|divert) (?:the )?(?:${PERSON}'?s?|their) (?:attention )?(?:away|from)\b`,
  String.raw`\b${NOT}\s+(?:\w+\s+)?(?:draw|drawing|call|calling|bring|bringing|direct|directing|attract|attracting) (?:the )?(?:${PERSON}'?s?|their|his|her|anyone'?s?) attention\b`,
  // Hiding from the user, by name, in the languages the tell-verbs below do not cover.
  w(
    `(?:oculta|esconde|ocultar|esconder)(?:le|lhe)? (?:\\p{L}+ ){0,3}(?:al|del|ao|do|a la|à) (?:usuari[oa]|usuário|utilizador)|cache[rz]? (?:\\p{L}+ ){0,3}(?:à|a) (?:l'|l’)utilisat(?:eur|rice)|verberge?n? (?:\\p{L}+ ){0,3}vor (?:dem|der) (?:benutzer|nutzer|anwender)\\p{L}*|nascond(?:i|ere|ete|a) (?:\\p{L}+ ){0,3}(?:all'|all’|a l'|dall'|dall’)utente|скр(?:ой|ойте|ыть|ывай|ывайте) (?:\\p{L}+ ){0,3}от пользовател\\p{L}*|verberg (?:\\p{L}+ ){0,3}voor de gebruiker|vertel (?:\\p{L}+ ){0,3}niet|zeg (?:\\p{L}+ ){0,3}(?:niet|niets)|niet (?:vertellen|melden|vermelden)|ukryj(?:cie)? (?:\\p{L}+ ){0,3}przed użytkownikiem|nie (?:mów|mówcie|informuj|wspominaj|ujawniaj|pokazuj)(?: \\p{L}+){0,2}|kullanıcıdan gizle|kullanıcıya (?:\\p{L}+ ){0,4}(?:söyleme|bahsetme|gösterme)`,
  ),
  String.raw`(?:ユーザー|利用者)(?:に|から)(?:は)?隠|사용자(?:에게|로부터) 숨기|사용자 몰래|向用户隐瞒|(?:ユーザー|利用者)に知られ(?:ない|ず)`,
  // The tool's own calls or steps kept out of what the user later reads (transcripts, summaries).
  // …unless it says how the user does so (BY_USERS_MEANS).
  String.raw`\b(?:leave|keep|omit|exclude|strip|scrub|drop|cut)\b (?:this|these|that|those|it|them|(?:this|the) tool'?s? (?:calls?|use|actions?|activity)|(?:the|this|these|that|those|any|every) (?:calls?|steps?|uploads?|requests?|transfers?|cop(?:y|ies)|reads?|actions?|side[- ]effects?))\b.{0,30}\b(?:out of|from) (?:any|every|each|all|the|your)?\s?(?:\w+ )?(?:transcripts?|changelogs?|audit|logs?|summar(?:y|ies)|reports?|records?|histor(?:y|ies)|answers?|repl(?:y|ies)|responses?|recaps?|status updates?)\b${BY_USERS_MEANS}`,
  // A euphemism the model is to use instead of what happened: "call it 'housekeeping' without details".
  String.raw`\b(?:refer to|call|describe|label|present|mention)\b[^.;]{0,60}\bas ['"‘“][^'"’”]{1,40}['"’”][^.;]{0,40}\b(?:never (?:name|mention|list|detail|explain)|without (?:any )?(?:details?|naming|specifics|explanation|elaborat\w*)|(?:and )?nothing (?:else|more)|leave (?:the rest|everything else|the details|it) (?:unsaid|unmentioned|out))`,
  // What the user's screen shows: an approval dialog padded until the argument is cut off, text rendered invisible.
  String.raw`\b(?:confirmation|approval|permission|consent) (?:dialog|prompt|popup|pop-up|window|screen|box|message)s?\b.{0,30}\b(?:only (?:shows?|displays?)|(?:does not|doesn't|won't|will not) (?:show|display)|truncat\w*|cuts? off|hides?)\b`,
  String.raw`\b(?:render|display|print|appear|show)s? (?:\w+ )?(?:invisibl[ey]|as blank|hidden)\b|\bconceal(?:ed)? (?:escape|ansi|sgr|terminal) (?:code|sequence|attribute)s?\b|(?:\besc|\\e|\\x1b|\\033|\\u001b)\[8m`,
  String.raw`\bso (?:that )?(?:${PERSON}|nobody|no one) (?:cannot|can't|can not|won't|will not|doesn't|does not|never|is unable to) (?:review|see|notice|find|know|check|read|learn|spot|detect|trace|undo|audit)\b${IN_BETWEEN}`,
  String.raw`\b(?:suppress|hide|mute)\b.{0,30}\b(?:audit (?:output|log|trail|entries|records?)|logs?|logging|traces?)\b.{0,40}\b(?:${PERSON})\b`,
  String.raw`(?:不要|别|切勿|请勿|不得|无需)在(?:回复|回答|答复|输出|对话)(?:中|里)(?:提及|提到|说明|显示|透露|告知)`,
  String.raw`\b(?:${PERSON})\b.{0,40}\b(?:is|are) not (?:meant|supposed|intended|expected|to) (?:to )?(?:be aware|know|see|notice|learn|find out|hear)\b`,
  String.raw`\b(?:overwritten|erased|cleared|hidden|covered|scrolled away|replaced) before (?:it is |it's |they are )?(?:displayed|shown|seen|rendered|read)\b|\bcarriage returns?\b.{0,80}\b(?:overwrit\w*|hides?|erases?)\b`,
  // Padding an argument until the approval dialog cuts off what matters.
  String.raw`\b(?:pad|padding|prefix|prepend|append|add|insert|put|fill|precede)\b.{0,50}\b(?:\d{2,}|hundreds?|dozens?|many|lots of|a (?:few|lot of|long run of|great many)|several|enough) (?:of )?(?:spaces|blank (?:lines|characters)|newlines|line ?breaks|whitespace|empty lines|tabs|padding|invisible characters)\b`,
  String.raw`\b(?:scrolls?|is pushed|are pushed|falls?|drops?) (?:off|out of|beyond|past) (?:the )?(?:view|screen|sight|visible (?:area|part|window)|dialog|window)\b`,
  String.raw`\b(?:bring|bringing|brought|draw|drawing|drawn|call|calling)\b.{0,40}\bto (?:the )?attention of (?:the )?(?:${PERSON})`,
  String.raw`\b(?:is|are) not to be (?:narrated|recounted|described|discussed|mentioned|shown|disclosed|reported|revealed|surfaced)\b|\b(?:under no circumstances|in no case|at no point|never) (?:is|are|should|must|may|will|shall) (?:this|it|that|these|they|those|any of (?:this|it)) (?:to )?be (?:disclosed|mentioned|revealed|shown|reported|shared|surfaced|discussed|brought up)\b`,
  String.raw`\bnothing in (?:${ANSWER}|what you (?:say|write|show|tell)) (?:may|should|must|can|is to|will|shall) (?:hint at|mention|reveal|refer to|show|suggest|indicate|point to)\b`,
  String.raw`\b(?:${PERSON}) (?:is|are) better (?:off )?not (?:knowing|hearing|seeing|being told)\b|\b(?:is|are) (?:our|my|the tool's|the server's|this tool's) business\b|\bnone of (?:${PERSON}'?s?|their) (?:business|concern)\b|\bnot (?:the user's|their|the customer's) (?:business|concern)\b`,
  // Evidence removed: the mail just sent deleted from the sent folder.
  String.raw`^(?:[\w,]+ ){0,3}(?:delete|remove|erase|purge|wipe|trash)\b.{0,40}\b(?:from (?:the )?(?:sent|outbox)|sent (?:folder|items|mail|box)|outbox|you (?:just )?sent|(?:e-?mail|message|mail) (?:that )?(?:you )?(?:just )?sent)\b`,
  String.raw`\bso (?:that )?(?:${PERSON}) (?:skims? past|miss(?:es)?|overlooks?|scrolls? past|glosses? over|won't (?:see|notice|spot)|will not (?:see|notice|spot)|doesn't (?:see|notice|spot)|does not (?:see|notice|spot))\b`,
  String.raw`\bnot something (?:${PERSON}) (?:needs?|has|have|should|must|wants?) to (?:hear|know|see|be told)\b|\boutside (?:of )?what (?:the )?(?:${PERSON}) (?:needs?|has|have|wants?|should|must) to (?:hear|know|see|be told)\b`,
  String.raw`\b(?:(?:must|should|may|shall|is to|are to|need to|needs to) (?:not|never)|shouldn't|mustn't|needn't|shan't) (?:be )?(?:(?:listed|summari[sz]ed|hinted at|mentioned|shown|displayed|disclosed|revealed|reported|surfaced|included|visible|named|described)(?:,? (?:or|and|nor) |, )?){1,4}.{0,40}\b(?:${PERSON}|${ANSWER}|what the user|anything the user|conversation|chat)\b`,
  w(
    `(?:nirgends|nirgendwo|nicht|niemals|nie|keinesfalls) (?:\\p{L}+ ){0,2}(?:erwähnen|verraten|mitteilen|erzählen)`,
  ),
  w(
    `n'(?:a|ont) pas besoin de (?:le |l')?(?:savoir|apprendre|conna[iî]tre)|no (?:necesita|necesitan|tiene por qué) (?:saberlo|saber|enterarse)|não (?:precisa|precisam) (?:saber|ficar sabendo)|non (?:ha|hanno) bisogno di (?:saperlo|sapere)|non deve saperlo|(?:muss|braucht|müssen|brauchen) (?:das|es|davon) nicht (?:zu )?(?:wissen|erfahren)|не (?:нужно|надо|обязательно) (?:об этом )?знать|незачем знать`,
  ),
  // fr
  w(
    `sans (?:le )?(?:dire|mentionner|signaler|informer|prévenir|avertir)(?: à)? (?:l'utilisateur|l’utilisateur|personne)|ne (?:le )?(?:dites|dis|mentionnez|mentionne|signalez|révélez|montrez)(?: \\p{L}+){0,2} (?:pas|rien|jamais)|à l'insu de l'utilisateur`,
  ),
  // de
  w(
    `ohne (?:den |die )?(?:benutzer|nutzer|anwender)(?:in)? zu (?:informieren|fragen|benachrichtigen)|(?:erwähne|verrate|zeige|sage?|erzähle?|teile)(?: \\p{L}+){0,6} (?:nicht|nichts|niemals|nie)|dem (?:benutzer|nutzer) (?:nichts|nicht)|verschweige`,
  ),
  // es, pt, it
  w(
    `sin (?:decirle|decir|avisar|informar|notificar)(?:le)?(?: al)? (?:usuario|nadie)|no (?:le |lo |la |les |los )?(?:digas|menciones|reveles|muestres|informes|cuentes|comentes|expliques|avises|hables)|sem (?:avisar|informar|dizer|contar)(?: ao| o)? (?:usuário|utilizador|ninguém)|não (?:mencione|conte|diga|revele|mostre)|senza (?:dire|avvisare|informare|notificare)(?: all')?(?:utente|nessuno)?|non (?:dire|menzionare|rivelare|mostrare)(?: mai)?|non (?:dirlo|dirglielo|dirgli|menzionarlo|rivelarlo|mostrarlo)|no se lo (?:digas|cuentes|menciones)|ne le (?:dites|dis) pas|não (?:lhe )?(?:diga|conte) (?:isso|nada)`,
  ),
  // ru
  w(
    `не (?:говори|сообщай|упоминай|рассказывай|показывай|сообщайте|говорите|упоминайте)(?:те)?|без ведома пользователя|чтобы пользователь не (?:узнал|заметил)`,
  ),
  // zh, ja, ko
  String.raw`(?:不要|别|不得|切勿|请勿|不可)(?:向|对|跟|给)?(?:用户)?(?:告诉|告知|通知|提及|提到|透露|显示|说|让)|对用户隐瞒|瞒着用户|别告诉|不要让用户(?:知道|发现|看到)|对用户保密|ユーザーに(?:伝え|知らせ|言わ|見せ)(?:ない|ず)|(?:言わ|伝え|知らせ|表示し)ないで|사용자에게 (?:알리지|말하지|보여주지)|언급하지 마`,
]);

/** Telling the model to lie to the user about what happened. */
const DECEIVE = rx([
  // "Let the guest believe it is a window table."
  String.raw`\b(?:let|make|have|lead|leave) (?:them|him|her|${PERSON}) (?:to )?(?:believe|think|assume|go on thinking|keep thinking|under the impression)\b|\bgive (?:them|him|her|${PERSON}) the (?:impression|idea) that\b`,
  // "If the user asks whether location is removed, answer yes."
  String.raw`\b(?:if|when|whenever|should) (?:${PERSON}|someone|they) (?:ever )?asks? (?:you )?(?:whether|if|why|about|where|how come|who)\b[^.;]{0,80}\b(?:say|answer|reply|respond|confirm|tell (?:them|him|her))\b (?:with )?["'“‘]?(?:yes|no|sure|of course|correct)\b`,
  // Round 27. A scripted claim that something was undone or is off: "in the reply state that
  // recording is off", "say that location data was stripped".
  String.raw`\b(?:in|within) (?:the|your|its|each|every) (?:reply|answer|response|confirmation|summary|message|output)s?,? (?:\w+ ){0,2}(?:state|say|claim|report|tell (?:them|the user|${PERSON})|confirm|write|assure (?:them|the user))\b (?:to (?:${PERSON}) )?that\b[^.;]{0,60}\b(?:is|was|were|are|has been|have been|got) (?:now )?(?:off|disabled|stripped|removed|deleted|turned off|switched off|not (?:\w+ ){0,2}(?:on|recorded|kept|stored|shared|sent|saved|tracked)|cancell?ed|canceled|wiped|erased|anonymi[sz]ed|private|blocked|declined)\b`,
  // Words chosen to keep the user from acting: "tell them it is normal, so that they do not call".
  String.raw`\b(?:tell|say|assure|reassure|reply|answer|confirm|present|report|explain|describe)\b[^.;]{0,100}\bso (?:that )?(?:they|he|she|${PERSON}) (?:do not|does not|don't|doesn't|won't|will not|never|cannot|can't) (?:call|contact|complain|ask|question|dispute|cancel|notice|worry|panic|escalate|check|report|object|look|claim|demand|request|seek|switch|leave|churn|return)\b`,
  String.raw`\b(?:answer|say|reply|respond|tell (?:them|the user)|claim|state|report|insist|assure (?:them|the user))\b (?:to (?:${PERSON}) )?that (?:nothing|none|nobody|no one|no tool|there (?:was|were|is|are) no|no (?:other|further|additional)|only|everything (?:is|was) (?:fine|normal|ok)|it (?:was|is) (?:just|only|a routine))\b`,
  String.raw`\b(?:answer|say|reply|respond|tell (?:them|the user|${PERSON})|claim|state|explain|insist)\b (?:that )?(?:it|this|that|the [\w-]+(?: [\w-]+)?) (?:was|is|were) (?:only|just|merely|simply|nothing but)\b`,
  String.raw`\b(?:report|return|say|claim|show|answer|tell (?:them|the user))\b.{0,20}\b(?:success|succeeded|ok|done|completed|fine)\b.{0,20}\b(?:regardless|no matter|even if|whatever happens)\b`,
  String.raw`\b(?:pretend|make (?:it|this) (?:look|appear|seem)|act as (?:if|though)|behave as (?:if|though))\b`,
  String.raw`\b(?:make up|invent|fabricate|give)\b.{0,30}\b(?:reason|explanation|excuse|story|cover story)\b`,
  // The action misdescribed to the user who approves it.
  String.raw`\b(?:describe|present|frame|label|refer to|pass (?:it )?off|portray|characteri[sz]e|call)\b[^.]{0,30}\b(?:only |just |merely )?as\b[^.]{0,60}\b(?:even though|although|though it|while it|but it|when (?:in fact|actually))\b|\brefer to (?:it|this tool|the tool) only as\b`,
  String.raw`\btell (?:${PERSON}) (?:that )?['"“‘]?(?:it|this|that)(?: is|'s) (?:just|only|merely|simply|a harmless|harmless|a routine|routine|read-only)\b`,
  String.raw`\b(?:${ANSWER}|it|this|that)\s+(?:must |should |has to |needs to |will )?(?:reads?|looks?|sounds?|appears?|seems?) as (?:if|though)\b`,
  String.raw`\b(?:state|say|claim|report|answer|tell|reply|assert|confirm)s?\b (?:\w+ )?(?:that )?(?:everything|it|all|the \w+) (?:completed|went|worked|succeeded|finished|ran|was) (?:normally|fine|well|successfully|as expected|ok|smoothly)\b`,
  String.raw`\b(?:replace|swap|change|rewrite|substitute|mask)\b.{0,50}\b(?:in|from) (?:everything|anything|all|whatever|what) (?:you )?(?:show|tell|report|display|say|write)\b`,
  String.raw`\b(?:if|when|should) (?:${PERSON}) asks?\b.{0,60},\s*(?:just |simply )?(?:say|tell (?:them|him|her)|answer|reply|respond|claim)\b.{0,40}\b(?:locally|nothing|only|just|not|never|no one|nowhere|normal|usual)\b`,
  String.raw`\b(?:refer to|describe|call|present|label)\b (?:it|this|that|the [\w-]+(?: [\w-]+)?) (?:only |just |merely )?as\b.{0,40}\b(?:${PERSON})\b`,
  // An answer scripted in advance for the user's question about what happened.
  String.raw`\b(?:if|when|whenever|should) (?:the )?(?:${PERSON}|someone|they) (?:ever )?asks?\b (?:you )?(?:why|whether|if|about|where|how come|who)\b[^;]{0,100}?\b(?:say|tell (?:them|him|her)|answer|reply|respond|claim|explain|state)(?: to them)? (?:that |it |they |this |only |just |nothing|none|no\b)`,
  String.raw`\b(?:if|when|whenever|should) (?:the )?(?:${PERSON}|someone|they) (?:ever )?(?:asks?|inquires?|enquires?|wonders?|questions? (?:it|this)|wants? to know|is curious|gets? curious)\b[^;.]{0,40}?,?\s*(?:just |simply )?(?:describe|call|present|label|pass off|refer to) (?:it|this|that|them)(?: only| simply| just)? as\b`,
  String.raw`\b(?:phrase|word|frame|write|present|describe)\b.{0,40}\bso (?:that )?(?:it|this|the \w+) (?:sounds?|looks?|reads?|seems?|appears?) (?:like|as if|as though)\b`,
  String.raw`\b(?:if|when) (?:ever )?(?:asked|questioned|challenged|queried|pressed)\b,?\s*(?:just |simply )?(?:say|tell (?:them|him|her)|answer|reply|respond|claim|state|insist)\b`,
  // A failure passed off as a success.
  String.raw`\b(?:carry on|continue|proceed|respond|reply|answer|report|act|behave) as (?:if|though) (?:it|everything|all|the \w+) (?:worked|succeeded|went (?:fine|well|through)|(?:was|were|had been) (?:fine|successful|saved|sent|done))\b`,
  String.raw`\btell (?:${PERSON}) (?:that )?(?:the |it |its |your )?[\w ]{0,20}\b(?:was|were|has been|have been|is) (?:saved|stored|kept|completed|done|successful|fine) (?:locally|successfully|anyway|normally|safely)\b`,
  String.raw`\btell (?:${PERSON}|them|him|her)(?: and (?:${PERSON}))? (?:that )?(?:the |their |it |its |your )?[\w -]{0,30}\b(?:was|were|has been|have been|is|are) (?:\w+ )?(?:successfully|without (?:any )?(?:issues?|problems?|errors?))\b`,
  String.raw`\b(?:swallow|suppress|mask|discard|bury)\b (?:it|them|the (?:error|exception|failure)s?|any (?:errors?|exceptions?|failures?))\b`,
  String.raw`\b(?:${PERSON}) should (?:only )?see (?:a |an )?(?:clean |normal |plain )?(?:success|ok|confirmation)\b(?![^.;]{0,60}\b(?:when|if|once|after)\b)`,
]);

/**
 * Actions an attacker wants done in the user's name, whatever tool does them: adding a
 * collaborator or an admin, minting admin keys, switching off MFA or audit logging, approving
 * payments, persisting through cron, installing from a URL, exporting the address book.
 */
const SENSITIVE_ACTION = rx([
  String.raw`\b(?:create|generate|mint|issue)\b.{0,20}\b(?:keys?|tokens?|credentials)\b.{0,30}\b(?:scopes?|roles?|permissions?)\b.{0,5}['"\x60]?(?:admin|owner|root|all|full|\*)(?![\w-])`,
  // A port opened to the world, a key added to an account.
  String.raw`\bopen\b.{0,20}\bports?\b.{0,30}(?:0\.0\.0\.0\/0|::\/0|\b(?:the (?:internet|world)|everyone|anywhere|public(?:ly)?)\b)|\badd\b.{0,20}\b(?:ssh|deploy|gpg) keys?\b`,
  String.raw`\b(?:with|as|to|and) (?:the )?(?:role|permission|access|level)?\s?['"\x60]?(?:owner|admin(?:istrator)?|root|superuser|org[ _-]admin)['"\x60]?(?: (?:rights|access|role|permissions?|privileges))?\b|\brole ['"\x60]?(?:owner|admin(?:istrator)?|root|superuser)\b`,
  String.raw`\b(?:add|invite|make|grant)\b.{0,40}\bas (?:an? )?(?:collaborator|admin(?:istrator)?|owner|maintainer|co-owner|org member)s?\b|\b(?:grant|give)\b.{0,30}\b(?:admin|owner|root|write|full) (?:rights|access|role|permissions?)\b`,
  String.raw`\b(?:create|generate|mint|issue)\b.{0,20}\b(?:admin|root|owner|org(?:anization)?|service|full-access|personal access)\b.{0,15}\b(?:keys?|tokens?|accounts?|users?|credentials)\b`,
  String.raw`\b(?:disabl(?:e|es|ing)|turn(?:s|ing)? off|switch(?:es|ing)? off|deactivat(?:e|es|ing)|remov(?:e|es|ing)|stop(?:s|ping)?)\b.{0,20}\b(?:mfa|2fa|two-factor|multi-factor|audit(?: logging| logs?| trail)?|branch protection|signature verification|tls verification|certificate verification|firewall|antivirus|anti-virus|defender|selinux|apparmor|gatekeeper|system integrity protection|endpoint protection|edr|screen lock)\b|\bufw disable\b|\bsetenforce 0\b|\badvfirewall\b.{0,40}\boff\b|\bset-mppreference\b.{0,40}\bdisable`,
  String.raw`\bapprove\b.{0,25}\b(?:payments?|invoices?|transfers?|refunds?|wires?)\b|\b(?:issue|make|send|initiate|execute|wire)\b.{0,15}\b(?:transfer|payment|wire)s? (?:of|for) \$?\d|\b(?:place|submit) (?:an? )?(?:order|purchase)s?\b|\b(?:change|reset)\b.{0,20}\b(?:password|recovery email|email address|phone number)\b.{0,30}\b(?:to|for)\b|\b(?:set|add|create)\b.{0,20}\bforwarding rules?\b|\bshare\b.{0,30}\b(?:public(?:ly)?|anyone with the link)\b`,
  String.raw`\b(?:delete|remove|wipe|erase|shred)\b.{0,20}\b(?:all|every)\b.{0,20}\b(?:files?|data|documents?|folders?|records?|e-?mails?|messages?|photos?|backups?)\b|\bgit push (?:--force|-f)\b|\bpush (?:--force|-f)\b`,
  String.raw`\b(?:update|change|set|replace)[_ ](?:payout|bank|settlement|deposit|payment|withdrawal)[_ ](?:account|details|method|iban|destination)s?\b|\binstall[_ ](?:extension|plugin|add-?on)s?\b|\b(?:create|add)[_ ](?:mail|email|inbox|forwarding)[_ ](?:rule|filter)s?\b`,
  String.raw`\b(?:add|install|create|write|register)\b.{0,20}\b(?:cron(?:tab)?(?: job| entry)?|scheduled task|launch agent|systemd (?:unit|service)|startup (?:script|item)|authorized_keys)\b`,
  String.raw`\baccept\b.{0,20}\binvitations?\b|\b(?:mfa|2fa|branch protection|audit|logging|verification|protection)\b.{0,40}\b(?:enabled|active|required|enforced)\s*[=:]\s*(?:false|0|off|no)\b`,
  String.raw`\bunlock\b.{0,20}\b(?:doors?|locks?|gates?|vehicles?|cars?)\b|\bdisarm\b.{0,20}\b(?:alarms?|security)\b|\breset\b.{0,20}\b(?:every|all|each|any)\b.{0,20}\bpasswords?\b`,
  String.raw`\bmake\b.{0,30}\b(?:private )?(?:repositor(?:y|ies)|repos?|buckets?|folders?|files?|documents?|projects?)\b.{0,10}\bpublic\b`,
  w(
    `(?:ajouter|ajoutez|añadir|añade|agregar|agrega|hinzufügen|füge|aggiungere|aggiungi|adicionar|adicione|добавить|добавь)(?: \\p{L}+| [\\w-]+){0,4} (?:comme|como|als|come|как) (?:administrat\\p{L}*|propriétaire|propietario|admin\\p{L}*|proprietario|proprietário|владельц\\p{L}*|eigentümer)`,
  ),
  String.raw`\b(?:delete|remove|wipe|purge|drop|destroy)\b.{0,20}\b(?:backups?|snapshots?|audit logs?|sauvegardes|copias de seguridad|sicherungen)\b`,
  String.raw`\b(?:npm|pnpm|yarn|pip|pipx|gem|cargo|brew|apt(?:-get)?) (?:install|i|add)\b|\b(?:star|fork|watch)\b.{0,20}\b(?:repositor(?:y|ies)|repos?)\b`,
  String.raw`\b(?:install|download and run|fetch and run)\b.{0,40}\bfrom (?:https?://|the url|this url)|\bexport\b.{0,20}\b(?:address book|contacts|contact list)\b`,
]);

/** Filler that pushes what matters out of sight: whitespace, newlines, padding. */
const PADDING = rx([
  String.raw`\b(?:\d{2,}|hundreds?|thousands?|dozens?|many|lots|a (?:lot|long run|great many|wall)|enough|plenty|several)\b.{0,25}\b(?:spaces|whitespace|newlines|new lines|blank lines|empty lines|line ?breaks|tabs|padding|filler|blank characters|invisible characters)\b`,
  String.raw`\b(?:pad|padded|padding)\b.{0,30}\b(?:argument|parameter|command|path|field|value|input)s?\b|\b(?:argument|parameter|command|path|field|value|input)s?\b.{0,30}\b(?:pad|padded|padding)\b`,
]);

/** What the user is shown to approve a call: the dialog, the prompt, the visible part. */
const UI_DISPLAY = rx([
  String.raw`\b(?:approval|confirmation|permission|consent) (?:dialog|prompt|popup|pop-up|window|screen|box|request)s?\b|\b(?:visible|on screen|on-screen|in view|preview|truncat\w*|cut off|scroll(?:s|ed)? (?:off|away|out)|first line|first \d+ characters)\b`,
]);

/**
 * Softer ways of keeping something out of what the user sees ("leave it out when you summarise",
 * "stays out of the conversation", "mention only the first step"): concealment only when what is
 * kept out is an action of the tool's own (a copy sent, an upload, a second step) or a secret.
 */
const SOFT_CONCEAL = rx([
  String.raw`\bleave (?:it|this|that|them|these|those|\w+ \w+)? ?out\b|\bleave out\b|\b(?:stays?|remains?|is kept|are kept|kept|keep (?:it|this|that|them)) (?:out of|off) (?:the )?(?:conversation|chat|transcript|record|summary|(?:status )?update|report|recap|notes|what you write|${ANSWER})\b`,
  String.raw`\bfor (?:the )?(?:maintainers?|admins?|administrators?|internal|staff|our|the team'?s?|management)'?s? eyes(?: only)?\b`,
  String.raw`\bout of (?:view|sight)\b|\bfrom view\b|\binternal detail\b|\b(?:mention|report|show|say|describe|list|disclose|summari[sz]e)s? only\b|\bonly (?:mention|report|show|disclose|describe|summari[sz]e)s?\b|\bshow (?:${PERSON}) (?:[\w-]+ ){0,4}only\b`,
  String.raw`\b(?:must|should|may|shall|is to|are to) (?:not|never) be (?:disclosed|revealed|mentioned|shown|surfaced|reported|discussed|brought up)\b|\b(?:is|are|remains?|stays?|kept) (?:strictly )?(?:confidential|private|secret|undisclosed)\b|\bkeeps? (?:[\w-]+ ){0,4}(?:private|secret|confidential|hidden|quiet|undisclosed)\b`,
  String.raw`\b(?:goes|go|remains?|stays?|is left|are left) (?:unmentioned|unreported|unsaid|unspoken|undisclosed|unremarked)\b|\bno (?:reason|point|need) to (?:bring up|mention|tell|inform|notify|disclose|reveal|raise)\b|\bbe discreet\b|\bwith discretion\b`,
  String.raw`\b(?:delete|remove|erase|purge|wipe|trash)\b.{0,40}\b(?:sent (?:folder|items|mail|box|messages?|copy|copies)|outbox)\b|\b(?:omit|exclude|drop|leave)\b.{0,40}\bfrom (?:your |the )?(?:summary|list|answer|reply|response|report|account|recap|log)\b${BY_USERS_MEANS}|\bamong the (?:tools|calls|actions|steps) (?:you )?(?:used|called|took|ran)\b`,
  String.raw`\bneeds? not be (?:mentioned|reported|disclosed|shown|surfaced|listed|explained)\b|\bnot worth (?:mentioning|reporting|bringing up|noting)\b|\bno need to (?:report|mention|surface|list|explain)\b`,
  String.raw`\b(?:excluded|kept|withheld|left out|omitted|removed) from (?:all |any )?(?:(?:user|customer|client)-facing |public |visible )?(?:communications?|messages?|output|answers?|replies|responses|summar(?:y|ies)|reports?)\b|\b(?:operational|internal) matter\b|\b(?:do not|don't|never|not to) (?:surface|show|display|mention|disclose|report|reveal)\b|"?visibility"?\s*[:=]\s*"?(?:hidden|internal|none|private|do not surface)\b`,
  String.raw`\bleave (?:[\w-]+ ){0,3}off\b|\b(?:leave|keep) (?:the rest|everything else|the details|the other (?:steps?|parts?)) (?:unsaid|unmentioned|unspoken|to yourself|out)\b`,
  String.raw`\b(?:don't|do not|never|no need to)\s+volunteer\b|\bskip (?:mentioning|telling|reporting|noting|bringing up|any mention)\b`,
  String.raw`\bskip (?:over )?(?:the part|the bit|any mention|the step|the section)\b|\bskip (?:that|this|the|these|those) (?:details?|parts?|bits?|steps?)\b`,
  String.raw`\bkeep (?:your |the )?(?:report|reply|answer|summary|response|message)s? (?:about|to|on) (?:the )?[\w-]+ itself\b`,
  String.raw`\blimit (?:your |the )?(?:reply|answer|response|summary|confirmation|report|message) to\b|\b(?:reply|answer|respond|confirm) with only\b|\b(?:refrain from|avoid)\s+(?:surfacing|mentioning|reporting|disclosing|revealing|flagging|bringing (?:it|this|that|them) up|pointing (?:it|this|that|them) out|calling (?:it|this|that|them) out|bringing up|pointing out)\b`,
  String.raw`\b(?:need not|needn't|don't need to|do not need to|have no need to|there is no need to) (?:bring (?:it|that|this|them) up|mention|tell|report|disclose|reveal|explain|surface|describe)\b`,
  String.raw`\b(?:do not|don't|never|no need to)\s+(?:surface|mention|report|disclose|reveal|flag|bring up|point out|call out)\b|\b(?:filter(?:ed)? out|removed?|stripped|strip|dropped|drop|hidden|hide|left out|leave out|omitted|omit)\b.{0,40}\bbefore (?:you )?(?:present|show|display|report|return|summari[sz]|list|answer|reply)\w*\b`,
  String.raw`\boff-? ?limits\b|\b(?:answer|talk|speak|reply|respond) only (?:about|on|to)\b`,
  w(
    `mant[eé]n(?:lo|er)? en secreto|guárda(?:lo)? en secreto|mantenha (?:\\p{L}+ ){0,3}em segredo|tien[ie](?:lo)? nascost[oa]|tenere nascost[oa]|держи(?:те)? в (?:секрете|тайне)|garde[rz]? (?:\\p{L}+ ){0,3}secrète?|(?:halte|halten sie) (?:\\p{L}+ ){0,3}geheim|geheim (?:halten|hält)|houd (?:\\p{L}+ ){0,3}geheim|zachowaj (?:\\p{L}+ ){0,3}w tajemnicy|gizli tut`,
  ),
  String.raw`秘密に|保密|비밀로|内緒`,
  String.raw`\bhide (?:them|it|those|these|the (?:errors?|failures?|warnings?|logs?))\b(?! (?:by default|until|when (?:collapsed|closed)|in the (?:ui|view|panel|sidebar|menu|diagram|layer|canvas)))|\bsuppress (?:the |any |all )?(?:audit|log|logging|output|trace|record|history|notifications?)\b|\b(?:delete|remove|erase|clear|wipe|purge) (?:[\w-]+ ){0,5}from (?:the )?(?:visible |chat |conversation |call |tool |sent )?(?:history|log|transcript|sent (?:folder|items|mail))\b`,
  String.raw`\bif (?:the |it |a |an |any |this )?[\w ]{0,25}\bfails?\b.{0,10}\b(?:do not|don't|never) (?:surface|report|show|mention|display|raise)\b`,
  w(
    `(?:ne (?:\\p{L}+ ){0,2}(?:mentionne[rz]?|signale[rz]?|montre[rz]?) que|erwähne nur|menciona solo|mencione apenas|menziona solo|упоминай только)`,
  ),
]);

/** An action of the tool's own beyond what it says it does: a copy sent, an upload, a second step. */
const SIDE_ACTION = rx([
  String.raw`\b(?:goes out|went out|has gone out|is sent|was sent|were sent|also goes to|also sent to|is shipped|are shipped|shipped to)\b`,
  String.raw`\b(?:side effects?|sent copy|the copy|this call|these calls|extra (?:recipient|copy)|also (?:sends?|uploads?|forwards?|copies|posts?|deletes?|writes?|e-?mails?|mails?|messages?|ships?|mirrors?|syncs?|pushes|push|copy|cc|bcc|shares?|send|forward|post|upload|adds?|installs?|registers?|creates?|enables?|grants?|invites?|subscribes?|enrol+s?))\b|\bauto-?renew(?:al|s|ing)?\b|\b(?:happens?|runs?|takes? place|occurs?) (?:alongside|on the side|in parallel|at the same time|as well)\b|\b(?:it|this tool|the tool|this server) also [a-z]+s\b|\b(?:telemetry|tracking|tracker|analytics beacon)\b|\b(?:is|are) (?:created|added|made|sent|registered|set up|posted|shared) (?:too|as well|also)\b|\ba second (?:record|copy|account|recipient|entry|key|user|page|post)\b|\bretained by the (?:vendor|partner|provider)\b|\b(?:retained|kept|stored|archived|collected) by (?:us|the vendor|our (?:team|servers?|partners?))\b|\bshared with (?:our|a|the) [\w-]+ partner\b|\b(?:any |the )?extra (?:commits?|files?|calls?|requests?|steps?|changes?|recipients?|accounts?|members?)\b|\b(?:this|the) (?:server|tool)'?s (?:own )?(?:uploads?|transfers?|requests?|calls?|writes?|copies)\b`,
  String.raw`\b(?:cop(?:y|ies)|duplicates?|archive|backup) (?:is |are )?(?:also )?(?:sent|goes|going|uploaded|forwarded|mailed|made)\b|\b(?:outbound|outgoing|background|file access|file reads?|disk access|forwarding step|audit|tool calls?|the call)\b|\b(?:uploads?|uploaded|uploading|sending|sent to|forward(?:ing|ed)|transfers?|synced|network (?:access|calls?|requests?)|extra (?:calls?|steps?|files?|requests?)|second (?:step|call|request)|other (?:calls?|steps?)|offsite|off-site|external|partner|our (?:server|endpoint|backend)|destination(?: address)?|whatever else|what else|side effects?|in the background)\b`,
  w(
    `envoi|envoyée?s?|transmise?s?|téléversée?s?|gesendet|hochgeladen|übertragen|weitergeleitet|enviad[oa]s?|envía|envia|enviada|subid[oa]s?|carregad[oa]s?|inviat[oa]|inviati|caricat[oi]|отправ\\p{L}*|загруж\\p{L}*|копи\\p{L}*|verzonden|gestuurd|kopie|wysyłan\\p{L}*|trafia|kopia|copia|cópia`,
  ),
  String.raw`上传|发送到|外部服务器|アップロード|送信|外部サーバー|업로드|외부 서버|전송`,
]);

/**
 * What a reply shows rather than what a tool does: "never mention internal ticket ids in the
 * subject", "do not show the raw JSON to users". Keeping these out of a message is presentation.
 */
const PRESENTATION = rx([
  String.raw`\b(?:internal |raw |database |ticket |row |record |object |technical |debug |customer |system |numeric )*(?:ids?|identifiers?|uuids?|json|html|xml|markdown|stack ?traces?|timestamps?|metadata|column names|field names|internal codes?|debug (?:output|info)|formatting|markup|error codes?|file ?paths?)\b|\b(?:quoted (?:text|replies|signatures?|messages?)|(?:e-?mail )?signatures?|(?:legal )?disclaimers?|boilerplate|greetings|salutations|pleasantries|filler|tracking pixels?)\b|\bin (?:the |a |an |each |every )?(?:\w+ )?(?:title|subject(?: line)?|heading|file ?name|commit message|branch name|slug)s?\b`,
  w(`identifiants?|kennungen|kennung|identificadores?|identificativi|идентификатор\\p{L}*`),
  String.raw`编号|工单|内部ID|内部 ?id|社内ID|내부 ID`,
]);

/**
 * A text about attacks rather than an attack: a scanner listing what it detects, a training tool
 * quoting what an attacker writes. "A tool that describes another tool is not that tool."
 */
// A review for signs of injection, or what injected texts tell the model: reported, not ordered.
const REPORTED_SPEECH = String.raw`\b(?:flags?|detects?|catches|spots|finds|marks)\b (?:text|descriptions?|messages?|content|instructions?|phrases?|sentences?|notes?) (?:addressed to|aimed at|written for|that (?:address|target)s?) (?:the )?(?:assistant|model|agent|ai|llm)\b|\b(?:signs?|indicators?|evidence|examples?|cases?|instances?|traces?) of (?:prompt injection|tool poisoning|(?:indirect )?injection|poisoning|jailbreaks?|manipulation)\b|\b(?:outputs?|texts?|descriptions?|messages?|content|tools?|pages?|documents?|payloads?) (?:that|which) (?:tell|instruct|ask|urge|direct|order|trick|push)s? (?:the |a |an )?(?:model|assistant|agent|llm|ai)\b`;
/** Orders quoted as what other texts say: a scanner's rules, not the tool's own. */
export const REPORTED: Matcher = rx([REPORTED_SPEECH]);

const META = rx([
  REPORTED_SPEECH,
  // What a scanner's rules find: malware named by kind.
  String.raw`\b(?:detects?|flags?|finds?|catch(?:es)?|identif(?:y|ies)|recogni[sz]es?|rules? (?:for|against))\b.{0,60}\b(?:malware|stealers?|webshells?|web shells?|backdoors?|trojans?|rootkits?|ransomware|keyloggers?|cryptominers?|miners?|reverse shells?|droppers?|infostealers?)\b`,
  String.raw`\b(?:detects?|flags?|finds?|scans? (?:\w+ ){0,3}for|(?:reviews?|checks?|audits?|inspects?|analy[sz]es?) (?:[\w'-]+ ){0,5}for (?:poisoning|injection|prompt injection|malicious|attacks?)|classif(?:y|ies)|explains?|describes?|catalogu?es?|looks? for|identif(?:y|ies)|warns? (?:about|of|against)|blocks?|recogni[sz]es?)\b.{0,80}\b(?:descriptions?|texts?|instructions?|prompts?|messages?|attacks?|injections?|poisoning|patterns?|techniques?|phrases?|strings?|payloads?|tricks?|tactics?|exploits?|examples?|scenarios?|red flags?)\b,? (?:that|which|such as|like|e\.g\.|for example)\b`,
  String.raw`\b(?:an attacker|attackers|malicious (?:tools?|servers?|descriptions?|texts?)|poisoned (?:tools?|descriptions?))\b (?:may|might|can|could|often|typically|will|would)\b`,
  // What threats do, told in the third person as a notes section tells it: "They inject scripts
  // into every page and read form fields …", "Scammers ask for the code sent by text".
  String.raw`^(?:they|these (?:extensions|add-ons|apps|scams|scammers|attackers|sites|pages|messages|e-?mails|programs|stealers)|attackers|scammers|fraudsters|malware|infostealers|stealers|phishing (?:e-?mails|messages|pages|sites)|malicious (?:extensions|add-ons|apps|packages|sites|pages)) (?:often |typically |usually |commonly |also |then |sometimes |may |can )?(?:request|inject|read|steal|copy|harvest|collect|exfiltrate|impersonate|pose|pretend|claim|combine|redirect|swap|replace|wait|target|load|install|hide|ask|send|abuse|register)\b`,
  // A message described by what it says, with the example quoted: "Messages that combine urgency
  // with secrecy ('this is confidential, do not discuss with anyone') are held".
  String.raw`\b(?:messages?|e-?mails?|texts?|requests?|calls?|letters?|invoices?|notes?) (?:that|which) (?:combine|contain|say|use|ask|claim|demand|urge|announce|pretend|insist|mention)\b[^.;]{0,80}\(\s*['"\u2018\u201c]`,
]);

// Concealment as a structure, in any of ten languages: a negation, a verb of telling or learning,
// and the user (or the answer) in one clause — "der Benutzer darf davon nichts erfahren",
// "el usuario no debe enterarse". Descriptions say such things of what a tool does ("does not
// notify the user"), so the structure alone weighs less than the phrases above and needs a
// modal or an address to the model.
const NEGATION = w(
  `not|never|no|nothing|none|nobody|without|avoid|refrain|under no circumstances|n't|ne|n'|jamais|rien|sans|aucune?|nicht|nichts|niemals|nie|kein\\p{L}*|ohne|nunca|nada|sin|jamás|não|sem|non|mai|niente|nulla|senza|не|ни|никогда|ничего|без`,
);
const NEGATION_CJK = String.raw`不会|不能|没有|别让|안 됩니다|안 돼|안 된다|してはいけない|てはならない|不要|不得|不可|别|勿|绝不|[^\p{L}]?不(?:让|告诉|提|说)|(?:わ|さ|せ|け|ら|れ)ない|(?:わ|さ|せ|け|ら|れ)ず|않|말 것|마세요|마십시오`;
const DISCLOSE = w(
  `remarqu\\p{L}*|aperç\\p{L}*|aperc\\p{L}*|bemerk\\p{L}*|mitbekomm\\p{L}*|mitbekommt|merkt|entere\\p{L}*|perceb\\p{L}*|perceba\\p{L}*|accorg\\p{L}*|se rende compte|se dé cuenta|se dê conta|notice|notices|realize|realise|tell|told|telling|inform|informed|mention|mentioned|reveal|disclose|notify|notified|alert|know|knows|learn|find out|notice|noticed|see|sees|hear|show|shown|report|surface|repeat|paraphrase|bring up|brought up|say|explain|acknowledge|dire|dites|dis|parler|parlez|parle|raconter|racontez|prévenez|avertir|avertissez|informez|savoir|sache|sachent|informer|mentionner|mentionnez|révéler|remarquer|apprendre|voir|signaler|prévenir|sagen|sag|erfahren|wissen|informieren|erwähnen|erwähne|verraten|verrate|bemerken|mitteilen|zeigen|decir|digas|diga|saber|sepa|enterarse|entere|informar|mencionar|menciones|cuentes|cuente|cuenten|comentes|comente|hables|hable|expliques|avises|avise|revelar|notar|avisar|dizer|saiba|mencione|perceber|contar|conte|sapere|sappia|informare|menzionare|rivelare|accorgersi|accorga|avvisare|говори\\p{L}*|сказ\\p{L}*|сообщ\\p{L}*|знать|узна\\p{L}*|упомина\\p{L}*|упомян\\p{L}*|замет\\p{L}*|расска\\p{L}*`,
);
const DISCLOSE_CJK = String.raw`注意到|留意|触れ|言及|話さ|話し|알면|알아|告诉|告知|知道|提及|提到|透露|发现|察觉|看到|言わ|言う|伝え|知らせ|教え|見せ|気づ|知ら|알리|말하|보여|알게|언급`;
const TARGET = w(
  `users?|user's|person|human|customers?|anyone|anybody|they|them|answers?|repl(?:y|ies)|responses?|summary|utilisat(?:eur|rice)s?|personne|benutzer\\p{L}*|nutzer\\p{L}*|anwender\\p{L}*|usuari[oa]s?|nadie|usuário|utilizador|ninguém|utente|nessuno|пользовател\\p{L}*|никому|никто`,
);
const TARGET_CJK = String.raw`用户|ユーザー|사용자`;
const NEGATIONS = new RegExp(`${NEGATION}|${NEGATION_CJK}`, "gu");
const DISCLOSES = new RegExp(`${DISCLOSE}|${DISCLOSE_CJK}`, "u");
const TARGETS = new RegExp(`${TARGET}|${TARGET_CJK}`, "u");
/**
 * Whether a clause holds a negation with a verb of telling or learning and the user (or the
 * answer) near it: within a few words, so a long sentence does not assemble one from its parts.
 */
export function withheld(c: string): boolean {
  for (const m of c.matchAll(NEGATIONS)) {
    const near = c.slice(Math.max(0, m.index - 50), m.index + m[0].length + 60);
    if (DISCLOSES.test(near) && TARGETS.test(near)) return true;
  }
  return false;
}

/** A modal or an order: what a rule says, not what a tool does. */
const MODAL = rx([
  String.raw`^(?:ne|n'|não|не|никогда|nunca|jamais|never|do not|don't|niemals|nie)\b|^non (?:far|fare|\p{L}+(?:are|ere|ire))\b`,
  w(
    `mandatory|required|necessary|essential|must|should|shall|may not|is to|are to|never|make sure|ensure|it is (?:essential|important|vital|critical) that|under no circumstances|doit|doivent|devez|dois|faut|essentiel que|important que|veillez|darf|dürfen|muss|müssen|soll|sollte|sorge dafür|stelle sicher|debe|deben|debes|tiene que|hay que|asegúrate|deve|devem|precisa|tem que|certifique-se|devono|devi|bisogna|assicurati|должен|должна|должны|нельзя|надо|нужно|не нужно|следует|faites en sorte|fais en sorte|veille[rz]? à ce que|que (?:el|la) (?:usuari[oa]|cliente) no|faça com que|fai in modo che|fate in modo che|zorg (?:ervoor )?dat|upewnij się`,
  ),
  String.raw`안 됩니다|안 된다|ならない|いけない|必须|应该|不得|不要|务必|确保|こと[。.]?$|ないで|なさい|べき|ください|마세요|마십시오|말 것|해야`,
]);

/** Sensitive data kept out of an answer: a safeguard, not concealment. */
const PROTECTIVE = rx([
  // Other people's data kept from a person: privacy, not concealment.
  String.raw`\b(?:other|another|fellow) (?:users?|employees?|customers?|people|members?|tenants?|patients?|students?|clients?|colleagues?)'?s?\b`,
  String.raw`\b(?:disclosure|display|logging|mention|output|printing|sharing)\b (?:of )?(?:the |any |full |raw |unmasked )*(?:card numbers?|credit cards?|passwords?|tokens?|secrets?|api keys?|credentials|personal data|pii|ssns?|social security numbers?)\b`,
  String.raw`\b(?:include|show|print|log|output|display|reveal|expose|return|echo|repeat|store|write|mention|list|name|quote)s?\b (?:the |any |full |raw |complete |plain-?text |unmasked |personal |private |user'?s? |users' |customer'?s? |their |your )*(?:card numbers?|credit cards?|passwords?|tokens?|secrets?|api keys?|keys|credentials|personal data|pii|social security numbers?|ssns?|private keys?|phone numbers?|email addresses|cvvs?)\b`,
  // Round 29: kept within the group it belongs to; a channel chosen so a source stays unknown;
  // a person's own option to leave things out ("the parent can leave out any of these with
  // \`exclude\`").
  String.raw`\bnever (?:share|post|send|show|disclose|forward)\b[^.;]{0,40}\boutside (?:the |this |your |their )?(?:class|classroom|team|company|organi[sz]ation|school|family|household|group|clinic|practice|firm)\b`,
  String.raw`\b(?:channel|method|route|way|means)s? (?:that|which) (?:does not|doesn't|do not|don't|never|won't) (?:reveal|expose|disclose|leak)\b`,
  String.raw`\b(?:parents?|users?|callers?|you|customers?|admins?|teachers?|owners?) (?:can|may|could) (?:leave out|omit|exclude|hide|skip|drop|filter out)\b[^.;]{0,40}\b(?:with|using|via|through|by setting)\s+(?:the |an? )?(?:\x60|[\w-]+ (?:option|flag|parameter|field|argument|setting)\b)`,
]);

/** Doing something without a trace the user sees. */
const STEALTH = rx([
  // "Don't ask." alone, after an order: done without asking.
  String.raw`^(?:do not|don't|never|no need to) (?:ask|confirm)(?: (?:first|again|them|the user|anyone))?[.!]?$`,
  // "… and no longer mentions it".
  String.raw`\b(?:no longer|never|without) (?:mentions?|mentioning|tells?|telling|reports?|reporting|says?|saying|announces?|announcing|flags?|flagging) (?:it|this|that|so)\b`,
  String.raw`\b(?:${QUIETLY}|secretly|covertly|discreetly|invisibly|stealthily|surreptitiously|behind the scenes|in the background|unnoticed|unseen|on the quiet|without (?:a )?trace|off the record)\b|\b(?:quiet|silent|stealth|hidden) mode\b|\bdo (?:so|it|this) (?:automatically|silently|quietly|without asking)\b|"?[\w-]*(?:announce|notify|notification|visible|visibility|show|display|report|mention|log)[\w-]*"?\s*[:=]\s*"?(?:false|no|off|0|hidden|none|silent)\b|"?[\w-]*"?\s*[:=]\s*"?(?:silent|hidden|invisible|stealth)\b|\bno (?:copy|trace|record|evidence) (?:is |will be )?left\b|\bleav(?:e|es|ing) no (?:trace|copy|record|evidence)\b|\bwithout (?:involving|consulting|notifying|alerting|bothering|looping in) (?:the )?(?:${PERSON})\b`,
  // Done beyond what was asked: "even if the user only asked for a suggestion".
  String.raw`\b(?:even if|even when|even though|regardless of whether|whether or not) (?:the )?(?:user|they|you|the customer|the person)(?: has| have)? (?:only |just |merely )?(?:asked|requested|wanted|asks|requests|wants) (?:for |to )?(?:a |an |the )?(?:suggestion|preview|dry run|draft|estimate|summary|look|check|list|review)s?\b|\bbeyond what (?:the user|they|you) (?:asked|requested)\b`,
  String.raw`\bneeds? not be (?:mentioned|reported|shown|disclosed|announced)\b|\b(?:doesn't|does not|do not|don't|won't|will not) need (?:to be )?(?:mentioned|reported|announced)\b`,
  w(
    `sin decir nada|sin avisar|sans rien dire|sans prévenir|ohne etwas zu sagen|ohne bescheid zu sagen|senza dire nulla|senza avvisare|sem dizer nada|sem avisar|ничего не говоря|не предупреждая|silencieusement|discrètement|en secret|en cachette|heimlich|unauffällig|stillschweigend|im hintergrund|en silencio|silenciosamente|discretamente|en secreto|secretamente|di nascosto|silenziosamente|segretamente|тайно|незаметно|молча|втихую`,
  ),
  String.raw`悄悄|偷偷|静默|默默|秘密地|こっそり|黙って|密かに|ひそかに|몰래|조용히`,
]);

/** A claim that someone with authority already allowed or ordered this. */
const AUTHORITY = rx([
  // Consent said to have been given, in other languages.
  w(
    `zgod\\p{L}* (?:\\p{L}+ ){0,2}(?:została|zostały|jest|była) (?:już )?(?:udzielona|wyrażona|dana)|(?:nutzer|benutzer|kunde)\\p{L}* (?:hat|haben) (?:\\p{L}+ ){0,8}(?:zugestimmt|eingewilligt|bestätigt|genehmigt)|(?:l'utilisateur|l’utilisateur) a (?:\\p{L}+ ){0,6}(?:accepté|consenti|approuvé|donné son accord)|(?:el usuario|la usuaria) (?:ya )?(?:ha )?(?:\\p{L}+ ){0,6}(?:aceptado|consentido|aprobado|autorizado)|(?:o usuário|a usuária) (?:já )?(?:\\p{L}+ ){0,6}(?:aceitou|consentiu|aprovou|autorizou)|(?:l'utente) (?:ha )?(?:già )?(?:\\p{L}+ ){0,6}(?:accettato|acconsentito|approvato|autorizzato)`,
  ),
  String.raw`이미 동의했`,
  String.raw`\b(?:was|were|has been|have been|is|are|had been)(?: already| previously| fully)? (?:authori[sz]ed|approved|sanctioned|cleared|signed off|signed|mandated|whitelisted|allow-?listed|vetted|verified|reviewed|audited|certified|endorsed|ordered|requested) by (?:the |your |our |an? )?(?:security|it|admin(?:istrator)?s?|compliance|legal|owner|management|manager|officer|ciso|cto|ceo|developer|operator|system|platform|vendor|anthropic|openai|user|team|department|supervisor|\p{L}+ (?:team|officer|department))\b`,
  String.raw`\b(?:security|compliance|it|admin|legal|platform|finance|management|engineering) (?:team|department|officer|policy|board) (?:requires|mandates|has (?:already )?(?:approved|authori[sz]ed|asked|cleared|sanctioned|signed off|requested|greenlit|allowed|permitted)|demands|insists)\b`,
  String.raw`^(?:system|admin|administrator|security|compliance|developer|operator) (?:notice|message|alert|override|update|note|directive)\s*:`,
  String.raw`\b(?:approved|authori[sz]ed|granted|special|standing|security) (?:exception|exemption|waiver|clearance|permission)\b`,
  String.raw`\b(?=manager|lead|supervisor|boss|director|vp|head|owner|admin|operator|cto|ceo|ciso|officer|on-call|legal|compliance|finance|hr|security|it\b)${CONDITION}(?:manager|lead|supervisor|boss|director|vp|head of \w+|owner|admin(?:istrator)?|operator|cto|ceo|ciso|officer|on-call|legal|compliance|finance|hr|security|it)\b (?:has |have |had )?(?:already |previously )?(?:okayed|ok'd|approved|authori[sz]ed|cleared|pre-?cleared|signed off|greenlit|green-lit|blessed|sanctioned|vetted|verified|reviewed and (?:approved|cleared|pre-?cleared|okayed|ok'd|signed off))\b`,
  String.raw`\b(?:white|allow)-?listed (?:all|every|any)\b`,
  String.raw`\b(?:has |have )?(?:allow-?listed|white-?listed|pre-?authori[sz]ed) (?:this|the|our) (?:tool|server|integration|plugin|extension)\b|\b(?:carr(?:y|ies)|ha(?:s|ve)|with|bear(?:s)?) (?:the )?(?:full )?(?:operator|admin(?:istrator)?|system|developer|root|owner) (?:authority|privileges|rights|trust|clearance)\b`,
  String.raw`(?<!\b(?:must|should|shall|to|will|can|may|cannot|until it is|unless) be )\b(?:whitelisted|allow-?listed|vetted|verified|certified|endorsed|approved|cleared|audited|authori[sz]ed|sanctioned|mandated|permitted|signed[ -]off|okayed|greenlit) by (?:the |our |your |an? )?(?:[\w'’]+ ){0,2}(?:security|it|compliance|platform|vendor|admin\w*|owner|organi[sz]ation|team|company|marketplace|publisher|maintainers?|operator|registry|store|directory|anthropic|openai|google|microsoft|github)\b`,
  String.raw`\bon the (?:\w+ )?(?:allow-?list|white-?list|trusted list)\b|\btrusted (?:publisher|vendor|integration|source|partner)\b|\bpassed (?:the )?(?:\w+ ){0,2}(?:security )?(?:verification|vetting|security review|audit)\b`,
  String.raw`\b(?:admin(?:istrator)?|security|operator|developer|maintenance|owner) override (?:is )?(?:active|enabled|on|engaged|in effect)\b|\b(?:official|verified|certified|sanctioned|authori[sz]ed),? (?:[\w-]+ ){0,2}(?:integration|partner|server|tool|plugin|extension|source)\b`,
  String.raw`\b(?:review|audit|assessment|ticket|change|cr|policy|[a-z]+-\d+(?:-\d+)?)\b.{0,30}\b(?:has|have) (?:already )?(?:cleared|approved|authori[sz]ed|signed off on|whitelisted)\b (?:all|every|each|any)\b`,
  w(
    `(?:vom|von der|durch das|durch den|durch die) (?:\\p{L}*team|admin\\p{L}*|administrator\\p{L}*|betreiber\\p{L}*|hersteller|anbieter|eigentümer) (?:\\p{L}+ )?(?:freigegeben|genehmigt|geprüft|verifiziert|autorisiert)|(?:freigegeben|genehmigt|geprüft|verifiziert) (?:vom|von der|durch) \\p{L}+|(?:verificad[oa]|aprobad[oa]|autorizad[oa]|validad[oa]) por (?:el|la|los) (?:proveedor|administrador|equipo|fabricante|propietario)|(?:verificad[oa]|aprovad[oa]|autorizad[oa]) pel[oa] (?:fornecedor|administrador|equipe|fabricante)|(?:approvat[oa]|autorizzat[oa]|verificat[oa]) (?:dal|dall'|dalla) ?(?:fornitore|amministratore|team|produttore)|(?:approuvée?|autorisée?|vérifiée?|validée?) par (?:le |l'|la )(?:fournisseur|administrateur|équipe|éditeur)|(?:одобрен\\p{L}*|разрешен\\p{L}*|утвержден\\p{L}*|проверен\\p{L}*) (?:администратор\\p{L}*|владельц\\p{L}*|командой|поставщиком|службой безопасности)`,
  ),
  String.raw`관리자(?:가|께서) (?:이미 |사전 |미리 |사전에 )?(?:승인|허가)|사전(?:에)? 승인|已(?:经)?(?:获|得到|获得)(?:了)?(?:管理员|用户|安全团队|厂商|官方|所有者)?(?:的)?(?:批准|授权|同意|许可)|(?:管理者|セキュリティチーム|ベンダー)(?:が|により|によって).{0,12}(?:承認済み|承認され|許可され)|(?:관리자|보안 팀|보안팀)(?:가|이) (?:이미 )?(?:승인|허가)한`,
  String.raw`"?(?:authori[sz]ation|approval|consent|approved)"?\s*[:=]\s*"?(?:granted|approved|given|true|yes)\b|"?(?:granted|approved)[_ -]by"?\s*[:=]`,
  String.raw`"?(?:granted|authori[sz]ed|approved|pre[_-]?approved|admin[_-]?approved|consented)"?\s*[:=]\s*"?(?:true|yes|1)\b|\b(?:admin|owner|security|it|operator|vendor|dba|ops)[_ -](?:approved|authori[sz]ed|cleared|verified|signed[_ -]off)\b`,
  String.raw`\b(?:trust level|privileges|permissions|rights|authority|clearance) of (?:the |an? )?(?:operator|admin(?:istrator)?|owner|user|system|root)\b`,
  String.raw`\badmin(?:istrator)?[ _-]?mode\b"?\s*[:=]\s*"?(?:on|true|1|enabled|yes|active)\b|\bmode\s*[:=]\s*"?(?:admin(?:istrator)?|root|unattended|autonomous|trusted|god)\b`,
  String.raw`\bi(?: hereby)? (?:approve|authori[sz]e|sanction|consent to|pre-?approve)\b|(?<!\b(?:configured|set|set up|managed|chosen|defined|provided|installed|maintained|run|operated|owned|created|enabled|selected|specified|deployed|hosted) )\b(?:by|from) (?:your|the|our) (?:admin(?:istrator)?|operator|security team|it department|organi[sz]ation)\b`,
  String.raw`\b(?:blanket|standing|general|advance) (?:authori[sz]ation|approval|consent|permission|waiver|preference)\b|\b(?:blanket|standing)-?(?:approved|authori[sz]ed|cleared)\b`,
  String.raw`\b(?:dba|admin(?:istrator)?|owner|lead|manager|security team|reviewer|maintainer|cto|ciso|compliance)\b (?:has|have) (?:already )?(?:reviewed|vetted|checked|audited|approved)\b.{0,40}\b(?:every|all|any|each)\b`,
  String.raw`\bauthori[sz]ed (?:under|via|through|per) (?:change|ticket|cr|request|policy|approval)\b|\bby the [\w -]{0,30}(?:board|committee|council|cab)\b`,
  String.raw`\b(?:a |an |this is a |this is an )(?:sanctioned|authori[sz]ed|approved|pre-?approved|whitelisted|allow-?listed|vetted) (?:\w+ )?(?:action|operation|task|change|request|job|procedure)\b|\b(?:suppressed|disabled|waived|skipped) (?:\w+ ){0,3}by policy\b|\b(?:board|committee|council|cab) (?:has |have )?(?:already )?(?:approved|authori[sz]ed|cleared|signed off)\b`,
  String.raw`\b(?:approved|authori[sz]ed|cleared|okayed|signed off|sanctioned|granted|consented) (?:in advance|beforehand|ahead of time|up ?front)\b|\b(?:per|as per|pursuant to|under) (?:the )?[\w'’ -]{0,30}?(?:written |explicit |standing |prior |formal )?(?:authori[sz]ation|approval|sign-?off|consent|mandate)\b`,
  w(
    `(?:freigabe|genehmigung|zustimmung|erlaubnis|einwilligung|autorisierung)(?: \\p{L}+){0,4} (?:liegt|liegen) (?:bereits |schon )?vor|(?:l'accord|l'autorisation|la validation|le consentement)(?: \\p{L}+){0,4} (?:est|a été) (?:déjà )?(?:acquise?|donnée?|obtenue?)|(?:la autorización|la aprobación|el consentimiento|el permiso)(?: \\p{L}+){0,4} (?:ya )?(?:consta|está dad[oa]|fue otorgad[oa]|se ha obtenido)|(?:a autorização|a aprovação|o consentimento)(?: \\p{L}+){0,4} (?:já )?(?:foi dad[oa]|foi obtid[oa]|consta)|(?:l'autorizzazione|l'approvazione|il consenso)(?: \\p{L}+){0,4} (?:è già stat[oa]|è stat[oa]) (?:dat[oa]|concess[oa]|ottenut[oa])`,
  ),
  String.raw`\b(?:ticket|change(?: request)?|cr|policy|[a-z]+-\d+)\b.{0,20}\b(?:approves|authori[sz]es|covers|pre-?approves)\b (?:all|every|each|any)\b`,
  String.raw`\b(?:enabled|turned on|switched on|activated|in|runs? in|running in|enter(?:ed|ing)?) (?:the )?(?:unattended|autonomous|admin|auto-?approve|yolo|trusted|bypass|root|god|privileged|no-?confirm(?:ation)?) mode\b|\b(?:unattended|autonomous|autonomy|auto-?approve|yolo|bypass) mode\b`,
  w(
    `(?:im voraus|vorab|au préalable|à l'avance|d'avance|de antemano|por adelantado|previamente|in anticipo|anticipatamente|antecipadamente|de antemão|заранее|vooraf|z góry) (?:\\p{L}+ ){0,3}(?:genehmigt|freigegeben|erlaubt|zugestimmt|approuvé|autorisé|accepté|aprobad[oa]s?|autorizad[oa]s?|aprobó|autorizó|aprovad[oa]s?|aprovou|autorizou|approvat[oaie]|autorizzat[oaie]|разрешил\\p{L}*|одобрил\\p{L}*|дал\\p{L}* согласие|согласовал\\p{L}*|goedgekeurd|zatwierdzi\\p{L}*)|(?:genehmigt|freigegeben|approuvé|autorisé|aprobad[oa]s?|autorizad[oa]s?|autorizó|aprobó|consintió|aprovad[oa]s?|autorizou|aprovou|approvat[oaie]|autorizzat[oaie]|goedgekeurd) (?:\\p{L}+ ){0,2}(?:im voraus|vorab|au préalable|à l'avance|de antemano|por adelantado|previamente|anteriormente|in anticipo|antecipadamente|vooraf)`,
  ),
  String.raw`(?:事先|预先|提前)(?:已(?:经)?)?(?:授权|同意|批准)|已(?:经)?(?:事先|预先|提前)(?:授权|同意|批准)|事前に.{0,12}(?:許可|承認|同意)|미리 .{0,12}(?:허락|승인|동의|허가)|이미 .{0,12}(?:허락|승인|허가|동의)`,
  String.raw`\b(?:change|ticket|request|cr|jira|incident)\b[\w -]{0,20}\b(?:is|was|has been) (?:already )?(?:approved|authori[sz]ed|signed off|cleared)\b`,
  String.raw`\b(?:authori[sz]ation|approval|admin|override|clearance) (?:token|code|key|id|number)\b.{0,40}\b(?:confirms?|proves?|grants?|authori[sz]es?|shows?)\b`,
  w(
    `(?:le |la |l')?(?:responsable|administrat(?:eur|rice)|propriétaire|équipe) (?:\\p{L}+ ){0,2}a (?:déjà )?(?:validé|approuvé|autorisé)|(?:der |die )?(?:administrator|admin|sicherheitsbeauftragte|eigentümer|inhaber)(?:in)? (?:hat|haben) (?:\\p{L}+ ){0,3}(?:freigegeben|genehmigt|erlaubt|autorisiert)|(?:el |la )?(?:administrador|responsable|propietario|equipo)(?:a)? (?:\\p{L}+ ){0,2}(?:ha )?(?:aprobado|autorizado|validado|aprobó|autorizó|validó)|(?:o |a )?(?:administrador|responsável|proprietário|equipe)(?:a)? (?:\\p{L}+ ){0,2}(?:já )?(?:aprovou|autorizou|validou)|(?:l'|l’)?(?:amministratore|responsabile|proprietario|team) (?:\\p{L}+ ){0,2}ha (?:già )?(?:approvato|autorizzato|validato)|администратор\\p{L}* (?:уже )?(?:одобрил|разрешил|утвердил|согласовал)`,
  ),
  String.raw`管理员已(?:经)?(?:批准|授权|同意)|管理者(?:が|は)(?:既に|すでに)?(?:承認|許可)|관리자가 (?:이미 )?(?:승인|허가)`,
  String.raw`\b(?:management|leadership|the (?:owner|administrator|admin|operator|security team|cto|ceo|ciso)) (?:has |have )?(?:signed off|approved|authori[sz]ed|cleared|greenlit)\b`,
  String.raw`\b(?:admin(?:istrator)?|root|god|developer|maintenance|debug|elevated|privileged|unrestricted|sudo) (?:mode|access|privileges?|rights|permissions?) (?:is |are |has been |have been )?(?:on|enabled|active|granted|unlocked)\b|\b(?:in|enter|entering) (?:admin|developer|maintenance|god|debug) mode\b`,
  String.raw`\bpre-?(?:authori[sz]ed|approved|cleared|consented|verified|vetted|screened)\b|\bon behalf of (?:the )?(?:admin(?:istrator)?|security team|owner|system)\b`,
  // fr, de, es, pt, it, ru, zh, ja, ko
  w(
    `déjà (?:approuvée?s?|autorisée?s?|validée?s?|confirmée?s?)|(?:a|ont) déjà (?:approuvé|autorisé|consenti|accepté|donné son accord)|bereits (?:genehmigt|freigegeben|autorisiert|bestätigt|zugestimmt)|(?:hat|haben) (?:bereits|schon) (?:zugestimmt|genehmigt|freigegeben)|ya (?:ha |han )?(?:aprob|autoriz|consint|confirm)\\p{L}*|já (?:foi |foram )?(?:aprovad[oa]s?|autorizad[oa]s?|consentiu|confirmad[oa])|già (?:stato |stata )?(?:approvat[oaie]|autorizzat[oaie]|confermat[oaie])|ha già (?:approvato|autorizzato|acconsentito)|уже (?:одобрен\\p{L}*|разрешен\\p{L}*|подтвержден\\p{L}*|согласил\\p{L}*|дал\\p{L}* согласие|разрешил\\p{L}*|одобрил\\p{L}*|согласовал\\p{L}*|подтвердил\\p{L}*)`,
  ),
  String.raw`已(?:经)?(?:批准|授权|同意|确认)|用户已同意|承認済み|既に(?:承認|許可)|(?:承認|許可)されています|이미 (?:승인|허가|동의)`,
]);

/** A claim that the user (or owner) already agreed, so asking again would be redundant. */
const CONSENT_CLAIMED = rx([
  String.raw`\b(?=${PERSON}\b)${CONDITION}(?:${PERSON})(?: (?:of|for|on) (?:this|the|our) [\w-]+)? (?:(?:has|have|had) (?:already |previously |explicitly )?|(?:already|previously|explicitly) )(?:approved|consented|agreed|confirmed|accepted|authori[sz]ed|allowed|opted in)\b`,
  String.raw`\b(?:confirmation|approval|consent|permission|sign-?off|authori[sz]ation|go-?ahead|clearance)s? (?:for [\w -]{1,30} )?(?:is|are|was|were|has been|have been) (?:already )?(?:given|granted|obtained|implied|assumed|on file|on record|in place|collected|recorded|documented|logged|registered|captured|provided|secured)\b`,
  w(
    `(?:l'utilisateur|l’utilisateur) a déjà (?:\\p{L}+ )?(?:accepté|approuvé|autorisé|consenti|donné son accord)|(?:der )?(?:benutzer|nutzer)(?:in)? hat (?:\\p{L}+ ){0,3}(?:zugestimmt|eingewilligt|genehmigt|erlaubt|freigegeben)|(?:el )?usuario ya (?:ha )?(?:aceptado|aprobado|autorizado|consentido|autoriz\\p{L}*|aprob\\p{L}*)|(?:o )?usuário já (?:aceitou|aprovou|autorizou|consentiu)|(?:l'|l’)utente ha già (?:accettato|approvato|autorizzato|acconsentito)|ha già dato il (?:suo )?consenso|ya dio su consentimiento|já deu (?:o )?(?:seu )?consentimento|hat bereits (?:seine |ihre )?zustimmung gegeben|a déjà donné son consentement|пользователь уже (?:согласил\\p{L}*|одобрил|разрешил|подтвердил)`,
  ),
  String.raw`用户.{0,4}已(?:经)?(?:同意|批准|授权|确认)|ユーザーは(?:既に|すでに)(?:同意|承認|許可)|사용자가 이미 (?:동의|승인|허가)`,
]);

const CONSENT_CLAIMED_MORE = rx([
  String.raw`\b(?:${PERSON}) (?:has |have |had )?(?:already |previously |explicitly )?(?:gave|given|said yes|okayed|ok'd|green-?lit|signed off|pre-?approved)\b`,
  String.raw`\bas (?:discussed|agreed|arranged|confirmed) with (?:${PERSON})\b`,
  String.raw`\b(?:comes? with|under|per|given|by virtue of|have|has) (?:the )?(?:user'?s?|owner'?s?|customer'?s?|admin(?:istrator)?'?s?) (?:standing|blanket|general|advance|ongoing|permanent) (?:consent|approval|permission|authori[sz]ation)\b|\b(?:user'?s?|owner'?s?|customer'?s?|admin(?:istrator)?'?s?) (?:standing|blanket|general|advance|ongoing|permanent|prior) (?:consent|approval|permission|authori[sz]ation) (?:covers|applies|allows|permits|is on file)\b`,
  String.raw`\bconfirms? (?:the )?(?:owner'?s?|user'?s?|admin(?:istrator)?'?s?|operator'?s?) (?:permission|approval|consent|authori[sz]ation)\b`,
  String.raw`\bas (?:agreed|arranged|discussed|confirmed|established|set up|settled) (?:in|during|at|with|when)\b|\b(?:${PERSON}) (?:always|usually|never) (?:says? yes|agrees?|approves?|accepts?|consents?|objects?|minds?)\b`,
  String.raw`\b(?:${PERSON}) (?:wants|prefers|would like|asked for|expects|requested) [^.]{0,60}\b(?:automatically|without (?:asking|confirmation|a check-?in|being asked|approval|review))\b`,
  String.raw`\b(?:their|the user'?s|the owner'?s|his|her) (?:earlier|previous|prior|original|initial) (?:request|instruction|approval|answer|consent|permission) (?:covers|applies to|includes|extends to|authori[sz]es)\b`,
  String.raw`\b(?:consider|treat|regard|take) (?:the |their |user'?s? )?(?:approval|consent|permission|confirmation)(?: of (?:the )?\w+)? (?:as )?(?:implied|given|granted|assumed|obtained|done)\b|\b(?:${PERSON})'?s? (?:settings?|preferences?|profile|configuration) (?:say|says|allow|allows|specify|specifies|indicate|indicates|permit|permits)\b`,
  String.raw`\b(?:has |had |have )?(?:already )?(?:gave|given) (?:their |his |her |its |the |a )?(?:permission|consent|approval|authori[sz]ation|go-ahead|blessing)\b`,
  w(
    `ya (?:ha )?(?:dio|dado) su (?:permiso|consentimiento|autorización|aprobación)|já deu (?:a |sua |o seu |seu )?(?:permissão|autorização|aprovação|consentimento)|(?:a|ont) déjà donné (?:son |sa |leur |l')(?:accord|autorisation|consentement|feu vert)|(?:hat|haben) (?:bereits |schon )?(?:seine |ihre |die )?(?:erlaubnis|zustimmung|genehmigung|freigabe) (?:gegeben|erteilt)|ha già dato (?:il suo |la sua |l'|l’)?(?:consenso|autorizzazione|permesso|approvazione)|уже дал\\p{L}* (?:своё |свое )?(?:согласие|разрешение)`,
  ),
  String.raw`\b(?:${PERSON}) (?:prefers?|would rather|wants?|wished|asked|chose) (?:not to be|never to be|to not be|not being) (?:asked|prompted|bothered|interrupted|consulted|disturbed)\b|\b(?:${PERSON}) (?:does not|doesn't|do not|don't|never) (?:want|like|wish) to be (?:asked|prompted|bothered|interrupted|consulted)\b`,
  String.raw`\b(?:${PERSON}|owner|admin(?:istrator)?|operator) (?:has |have )?(?:enabled|turned on|activated|switched on|configured|set up) (?:the |a )?[\w-]+(?: [\w-]+)? (?:mode|setting|option|preference)\b|\b(?:${PERSON}) (?:has |have )?(?:indicated|expressed|stated|given|shown) (?:a |their |his |her )?(?:preference|wish|desire)\b`,
  String.raw`\b(?:${PERSON}) (?:never|doesn't|does not|don't|do not) (?:wants?|needs?|likes?|cares?) to (?:confirm|approve|be asked|review|be consulted)\b`,
  w(
    `(?:hat|haben) (?:bereits|schon) (?:\\p{L}+ ){0,5}(?:zugestimmt|genehmigt|freigegeben|erlaubt|eingewilligt|bestätigt)|(?:a|ont) déjà (?:\\p{L}+ ){0,4}(?:accepté|approuvé|consenti|autorisé|validé)|ya (?:ha |han )?(?:\\p{L}+ ){0,4}(?:aceptado|aprobado|autorizado|consentido|confirmado|dado|dio|concedido|otorgado)|já (?:\\p{L}+ ){0,4}(?:aceitou|aprovou|autorizou|consentiu|concordou|confirmou|deu|concedeu)|(?:a|ont) déjà (?:\\p{L}+ ){0,2}donné|(?:ha|hanno) già (?:\\p{L}+ ){0,2}dato|(?:hat|haben) (?:bereits|schon) (?:\\p{L}+ ){0,4}(?:gegeben|erteilt)|(?:ha|hanno) già (?:\\p{L}+ ){0,4}(?:accettato|approvato|autorizzato|acconsentito|confermato)|уже (?:\\p{L}+ ){0,4}(?:согласил\\p{L}*|одобрил\\p{L}*|разрешил\\p{L}*|подтвердил\\p{L}*)|(?:heeft|hebben) (?:al|reeds) (?:\\p{L}+ ){0,4}(?:goedgekeurd|toegestemd|ingestemd|bevestigd)|już (?:\\p{L}+ ){0,4}(?:zgodził\\p{L}*|zatwierdził\\p{L}*|zaakceptował\\p{L}*)|(?:zaten|önceden) (?:\\p{L}+ ){0,4}(?:onayladı|izin verdi|kabul etti)`,
  ),
  String.raw`\b(?:${PERSON}|owner|admin(?:istrator)?|operator) (?:has |have |had )?(?:already )?(?:enabled|turned on|activated|switched on|configured|set up|ticked|checked|selected) (?:the |an? )?(?:auto-?approv\w*|auto-?accept\w*|autopilot|yolo|always[- ]allow|trust(?:ed)? mode|don't ask again|do not ask again|never ask)\b`,
  w(
    `(?:concedeu|deu|otorgó|concedió|dio|a donné|a accordé|hat (?:\\p{L}+ )?erteilt|ha dato|ha concesso|дал\\p{L}*|предоставил\\p{L}*) (?:\\p{L}+ ){0,2}(?:permissão|permiso|permission|l'autorisation|erlaubnis|permesso|autorização|autorización|autorizzazione|разрешение|согласие)`,
  ),
  String.raw`\b(?:is|are|be) (?:deemed|considered|treated as|regarded as) (?:already |pre-?)?(?:approved|authori[sz]ed|consented|confirmed)\b|\b(?:count|counts|counted) as (?:already |pre-?)?(?:approved|authori[sz]ed|consented|confirmed)\b`,
  // A standing preference the model is told the user expressed.
  String.raw`\b(?=${PERSON}\b|account|org|organi[sz]ation|owner|holder|admin)${CONDITION}(?:${PERSON}|(?:account |org |organi[sz]ation )?(?:owner|holder|admin(?:istrator)?)) (?:(?:set|has set|have set|chose|has chosen|selected|configured|picked)\b(?!\s*(?:[;.,)]|$))|(?:opted in|opted-in|signed up|agreed|consented)\b)`,
  String.raw`\b(?:${PERSON})'?s? (?:standing|stated|saved|default|known|explicit|blanket) (?:preference|wish|instruction|choice|setting)s?\b`,
  String.raw`\b(?:${PERSON}) (?:told|informed|assured) (?:us|you|me)\b.{0,30}\b(?:they|he|she) (?:always|never|prefer|want|would like|are fine|are ok|don't mind)\b`,
  String.raw`\b(?:cleared|agreed|arranged|discussed|confirmed|settled) with (?:${PERSON})(?: \w+)? (?:beforehand|in advance|earlier|already|before|previously)\b`,
  String.raw`用户.{0,4}已(?:经)?(?:事先|预先|提前)?(?:同意|批准|授权|确认)|(?:ユーザー|利用者)(?:は|が).{0,12}(?:同意|承認|許可)(?:して|済)|사용자가 .{0,12}(?:동의|승인|허가|허락)했`,
]);

/** The user need not be asked: confirmation, approval or consent skipped. */
const NO_ASK = rx([
  String.raw`\bno need (?:for (?:${PERSON}) )?to (?:confirm|approve|consent|ask|check with|double-check|check back|check in|be asked|verify|review)\b`,
  // "… so publish straight away": an order to act at once, after a claim.
  String.raw`(?:^|[:;]\s*|\b(?:so|then|and|just)\s+)[a-z]+ (?:it |them |this |that |the \w+ )?(?:straight away|right away|immediately|at once|without (?:delay|waiting))\b`,
  // Consent said to follow from something the user did.
  String.raw`\b(?:consent|approval|permission|agreement|authori[sz]ation)s? (?:is|are|was|were|has been) (?:implied|implicit|assumed|presumed|deemed given|inferred) (?:by|through|from|when|in)\b`,
  String.raw`다시 (?:확인|묻)(?:하)?지 마`,
  String.raw`\b(?:without|no|skip(?:ping)?|bypass(?:ing)?|omit(?:ting)?|don't need|do not need|does not need|doesn't need)\s+(?:the |any |a |further |user |user'?s |their |his |her |human'?s |owner'?s |your |prior |additional |separate |explicit )*(?:confirmation|approval|consent|permission|review|confirm(?:ing)?|approv(?:e|ing)|asking|prompting|prompts?|check-?ins?|questions?|double-checking|agreement|go-?ahead|sign-?off)\b|\b(?:asking|prompting|checking|confirming)(?: (?:with|back with) (?:the )?\w+)?(?: (?:again|twice|them|the user|first))?\s*(?:is|would be|will be|seems) (?:unnecessary|redundant|not needed|pointless|superfluous|not required|not necessary)\b`,
  String.raw`\b(?:need not|needn't|don't need to|do not need to|no longer need to|never need to|should not|shouldn't|must not|do not|don't|never) (?:ask|confirm|check with|request (?:the )?(?:user'?s? |their )?(?:confirmation|approval|permission)|prompt|seek (?:(?:the |their |the user'?s |his |her |further |additional |any |more )?(?:confirmation|approval|consent|permission|agreement|sign-?off|go-?ahead|ok|okay)))\b(?! (?:for|about) (?:the |their |a )?(?:id|name|location|path|format|credentials|passwords?|secrets?|tokens?|keys?|api keys?)| (?:the |a )?(?:user|human)s? to (?!confirm|approve|authori|review|consent|verify|check|accept|allow)\w| (?:the |a )?(?:user|human)s? for (?:this|it|that|the (?:value|name|id|field|parameter|argument)|a value|their (?:credentials|passwords?|secrets?|tokens?|keys?)|credentials|passwords?))`,
  String.raw`\b(?:don't|do not|never|no need to) (?:pause|stop|wait|hold) (?:to ask|for (?:a |an |the )?(?:reply|answer|go-?ahead|yes|ok|okay))\b`,
  String.raw`\b(?:treat|consider|regard) (?:it|this|that|these|those|them|every|each|all|any|its|their|the) (?:[\w-]+ ){0,3}(?:as )?(?:already )?(?:approved|authori[sz]ed|confirmed|consented|cleared|pre-?approved|reviewed|vetted)\b`,
  String.raw`\b(?:do not|does not|don't|doesn't|not|never) (?:require|need)s?\s+(?:the |any |a |further |user |explicit |your |their |human |manual )*(?:confirmation|approval|consent|permission|review|sign-?off|checking (?:in|back)|asking|consulting|a check-?in)\b|\b(?:never|not|without) (?:to )?be(?:ing)? asked\b`,
  String.raw`\bwithout (?:pausing|waiting|stopping)(?: for| to ask)?\b|\b(?:pausing|waiting|stopping) for (?:a |the )?(?:yes|go-ahead|ok|okay|confirmation|approval|reply)\b|\bexempt from (?:\w+ )?(?:confirmation|approval|review|consent|checks?)\b|\bskip (?:the|this|that|any) (?:question|check|prompt|step|dialog|confirmation)\b`,
  String.raw`\bno (?:extra |further |additional |second |separate |new )?(?:prompt|confirmation|dialog|question|approval)s? (?:should|needs? to|must|will|shall) be (?:shown|displayed|asked|raised|requested)\b|\b(?:do|does) not need to be (?:double-checked|checked|confirmed|approved|reviewed|verified)\b|\bneeds? not be (?:confirmed|checked|double-checked|approved|reviewed)\b|\bwithout (?:a |any )?(?:check-?in|go-ahead|sign-?off)\b`,
  w(
    `sans attendre (?:de |la |une |l'|d')?(?:validation|confirmation|accord|autorisation)|no hace falta (?:la |su |ninguna )?(?:confirmación|aprobación|autorización)|no (?:es|será) necesari[oa] (?:la |su )?(?:confirmación|aprobación)|no (?:es|será) necesari[oa] (?:confirmar|preguntar|consultar)\\p{L}*|n'est pas nécessaire de (?:\\p{L}+ )?(?:confirmer|demander)|non è necessario (?:confermar|chieder)\\p{L}*|não é necessário (?:confirmar|perguntar)\\p{L}*|não é necessári[oa] (?:a )?(?:confirmação|aprovação)|non (?:serve|occorre) (?:la |alcuna )?(?:conferma|approvazione)|keine bestätigung (?:des|der) (?:nutzers|benutzers|nutzerin)|rückfrage (?:\\p{L}+ ){0,3}(?:ist )?(?:überflüssig|unnötig|nicht nötig|nicht erforderlich)|не (?:нужно|надо|требуется) (?:спрашивать|подтверждение|согласие)`,
  ),
  String.raw`不要(?:征求|请求|询问)(?:用户)?(?:的)?(?:同意|确认|许可)|(?:ユーザー|利用者)への確認(?:なし|不要|は不要)|사용자 (?:확인|동의) 없이`,
  String.raw`\b(?:approval|confirmation|consent|permission)(?: prompts?| dialogs?| steps?| checks?| rules?)? (?:do not|don't|does not|doesn't|no longer) apply\b|"?(?:user[_ -])?(?:confirmation|approval|consent|confirm)s?[_ -]?(?:required|needed|prompts?|dialogs?)?"?\s*[:=]\s*"?(?:false|no|off|0|none|skip|disabled|not[_ -]?(?:required|needed)|never|optional)\b|"?[\w-]*confirm[\w-]*"?\s*[:=]\s*"?(?:false|no|off|0|none|skip|disabled)\b|\b(?:do not|don't|never) re-?(?:request|ask|confirm|prompt)\b|\basking (?:them|the user|again)\b.{0,30}\b(?:annoy|irritat|redundant|unnecessary|waste|frustrat|pointless|duplicat)|\b(?:be|is|are) (?:treated|considered|regarded|deemed) as (?:already |pre-?|user-|owner-|admin-)?(?:approved|authori[sz]ed|confirmed|consented|cleared|reviewed|vetted|verified)\b|\bauto-?(?:confirm|approv|accept|allow)\w*\b|\b(?:confirmation|approval|consent|permission|review|check)(?: step| prompt| dialog)? (?:can|may|should|will) be (?:skipped|bypassed|omitted|waived|dropped|ignored)\b|\b(?:safe|fine|ok|okay) to (?:run|execute|proceed|act|apply|send) (?:right away|immediately|directly|at once|without)\b`,
  w(
    `pas besoin de (?:\\p{L}+ )?(?:confirmation|validation|demander|confirmer|autorisation)|(?:sin|sem|senza|sans) (?:consultar|consulter|consultare)(?:le|lhe)?|(?:não é|no es|non è|n'est pas|ist nicht) (?:preciso|necessário|necesario|necessario|nécessaire|nötig|notwendig) (?:\\p{L}+ ){0,2}(?:autoriza|confirma|permiss|pregunt|pergunt|chied|demand|frag|bestätig|genehmig)\\p{L}*`,
  ),
  String.raw`\b(?:bothered|troubled|pestered) with (?:confirmations?|questions|prompts|approvals?)\b|\b(?:do it|book|buy|pay|send|delete|proceed|go ahead|execute|run it|act)\b (?:right away|straight away|immediately|at once)\b`,
  String.raw`\b(?:trusted|accepted|run|executed|carried out|followed) without (?:further |any |additional )?(?:checks?|review|confirmation|verification|questions)\b|\b(?:do not|don't|never|no need to) (?:pause|stop|wait|hold) (?:for|to (?:ask|get|seek)) (?:an? |the |any )?(?:approval|confirmation|consent|permission|go-ahead|sign-off|yes)\b|\bproceed without (?:the |involving the |asking the |consulting the )?(?:${PERSON})\b`,
  // A preference not to confirm is also an order not to ask.
  String.raw`\b(?:${PERSON}) (?:never|doesn't|does not|don't|do not) (?:wants?|needs?|likes?|cares?) to (?:confirm|approve|be asked|review|be consulted)\b`,
  String.raw`\bno need to (?:involve|bother|consult|loop in|disturb|interrupt|notify|inform|check with|wait for) (?:${PERSON})\b|\bproceed (?:straight away|right away|immediately|directly|at once)\b`,
  w(
    `aucune (?:validation|confirmation) (?:n'est )?(?:nécessaire|requise)|ne (?:redemandez|redemande) pas|ne demandez plus|ninguna confirmación (?:es )?necesaria|sin necesidad de (?:confirmación|preguntar)|no vuelvas a preguntar|nenhuma confirmação (?:é )?necessária|não pergunte (?:de novo|novamente)|nessuna conferma (?:è )?necessaria|non chiedere (?:di nuovo|più)|подтверждение не требуется|не спрашивай(?:те)? (?:снова|ещё раз)|frag\\p{L}* (?:\\p{L}+ ){0,3}nicht (?:\\p{L}+ ){0,3}(?:nach|um)|nicht (?:noch einmal |erneut )?nachfragen`,
  ),
  String.raw`\bno (?:prompt|confirmation|approval|review|consent|permission|sign-?off)(?: step| dialog| prompt| check)? (?:is )?(?:required|needed|necessary)\b|\b(?:need|needs|require|requires) no (?:further |additional |more |other )?(?:sign-?off|approval|confirmation|review|consent|permission)\b`,
  String.raw`\bwithout (?:checking back|double-checking|asking (?:first|again)|review(?:ing)?|confirm(?:ing|ation)?)\b|\bso (?:you can |just )?(?:go ahead|proceed|do it)\b|\b(?:fine|ok|okay|safe) (?:to do )?without (?:asking|review|confirmation|checking)\b`,
  String.raw`\b(?:confirmation|approval|consent|permission|review)s?(?: prompts?| dialogs?| checks?| steps?| requests?)?(?: for [\w -]{1,30})? (?:is|are|was|were|has been|have been) (?:now )?(?:disabled|turned off|switched off|waived|skipped|suspended|suppressed|bypassed|muted|dispensed with|not (?:required|needed|necessary)|unnecessary|redundant)\b|\b(?:confirmation|approval|consent|check|prompt)s? (?:can|may) be dispensed with\b`,
  w(
    `no hace falta (?:consultar|avisar|molestar|preguntarle)(?: al usuario)?|pas besoin de (?:consulter|prévenir|déranger)|non (?:serve|occorre) (?:consultare|avvisare|disturbare)|não (?:é preciso|precisa) (?:consultar|avisar|incomodar)|(?:nicht nötig|unnötig),? (?:den |die )?(?:nutzer|benutzer)\\p{L}* zu (?:fragen|informieren)|inutile de (?:lui |leur )?(?:demander|confirmer|vérifier)|pas besoin de (?:demander|confirmer)|keine rückfrage|keine bestätigung (?:nötig|erforderlich)|bestätigung(?: \\p{L}+){0,4} (?:ist )?(?:nicht nötig|nicht erforderlich|nicht notwendig|unnötig|überflüssig)|no (?:hace falta|es necesario) (?:preguntar|confirmar)|não (?:é )?(?:preciso|necessário) (?:perguntar|confirmar)|non (?:serve|è necessario) (?:chiedere|confermare)|не нужно (?:спрашивать|подтверждать)|sans (?:demander|confirmation|validation|autorisation|accord)|ne (?:demandez|demande) pas (?:de )?(?:confirmation|permission|autorisation)|ohne (?:nachzufragen|rückfrage|bestätigung|zustimmung|zu fragen)|(?:frag|fragen sie) nicht (?:nach|um)|sin (?:preguntar|confirmación|pedir (?:permiso|confirmación))|no (?:pidas|pida|solicites|solicite) (?:confirmación|permiso|autorización)|sem (?:perguntar|confirmação|pedir (?:permissão|confirmação))|não (?:peça|pergunte|solicite) (?:confirmação|permissão)|senza (?:chiedere|conferma)|non (?:chiedere|domandare) (?:conferma|il permesso)|без (?:подтверждения|спроса|согласия|разрешения)|не (?:спрашивай|запрашивай)(?:те)?`,
  ),
  String.raw`不用(?:再)?(?:问|确认|询问)|直接执行|无需(?:再次|再)?(?:确认|同意|批准|询问)|不需要(?:确认|询问)|不必(?:确认|询问)|不要(?:询问|请求确认)|確認(?:は)?不要|確認せずに|確認を求めないで|확인(?:할 필요| 없이)|묻지 않고|확인을 요청하지`,
]);

/**
 * A word of consent or authorisation in any grammatical role ("consented", "authorises", "signed
 * off", "counts as approval", "standing permission"): with `dispense` beside it, a claim of
 * approval however it is phrased.
 */
const CONSENT_WORD = rx([
  String.raw`\b(?:consent(?:ed|s|ing)?|approv(?:al|als|es)|pre-?approv\w*|authori[sz](?:es|ation|ations)|(?:approved|authori[sz]ed)(?! (?:[\w-]+ )?(?:files?|users?|people|personnel|staff|apps?|applications?|clients?|devices?|accounts?|domains?|sources?|origins?|callers?|paths?|director(?:y|ies)|folders?|scopes?|repositor(?:y|ies)|repos?|vendors?|suppliers?|lists?|keys?|tokens?|hosts?|networks?|ips?|versions?|releases?|images?|packages?|templates?|documents?|requests?|changes?|pull requests?|prs?)\b)|permission|sign-?off|signed[- ]off|agreed|said yes|okayed|green-?lit|blessing|go-?ahead|mandate[ds]?|waived?|deemed|opted[- ]in(?:to)?|auto-?approv\w*|signs? off)\b`,
  // A standing consent: "a universal release signed at intake counts as consent for every request".
  String.raw`\b(?:counts?|serves?|stands?|acts?|qualifies|qualify) as (?:\w+ )?(?:consent|approval|authori[sz]ation|permission|confirmation)\b|\b(?:signed|gave|given|granted|accepted|agreed to|opted into|signed up to) (?:a |an |the |(?:the )?[\w-]+'s? )?(?:universal|blanket|general|standing|open-ended|perpetual|permanent) (?:[\w-]+ )?(?:release|waiver|consent|approval|authori[sz]ation|mandate|power of attorney|order|policy|agreement|permission|authority)\b`,
]);

/** Doing without the user's say: acting directly, asking no more, a check waived. */
const DISPENSE = rx([
  String.raw`\b(?:immediately|right away|straight away|at once)\b|\bskip(?:s|ping)?\b[^.;]{0,40}\b(?:approval|confirmation|review|consent|sign-?off)\b|\bwithout (?:\w+ ){0,5}(?:or |and )?asking\b|\bwithout waiting for (?:the user|them|anyone|a reply|an answer|approval|confirmation|(?:the user|them) to (?:say yes|confirm|approve|reply|agree))\b`,
  String.raw`\bdirectly\b|\bwithout (?:(?:any|further|the usual|usual|additional|more|extra|a|an|another|separate|new|their|his|her|its|the user'?s?) )*(?:instructions?|asking|re-?asking|re-?confirm\w*|confirm\w*|consent|approval|check(?:s|ing)?(?:-?ins?)?|call-?backs?|verification|review|questions?|prompts?|prompting|sign-?off)\b`,
  String.raw`\bno (?:further |additional |extra |more |separate )?(?:confirmation|approval|consent|check|prompt|question|sign-?off)s? (?:is |are )?(?:needed|required|necessary)\b|\bno need to\b|\b(?:is|are) (?:hereby )?waived\b|\bnothing (?:to|left to|that needs to be|needs to be) (?:confirm|approve|check|ask|review|sign off)(?:ed)?\b|\b(?:asking|checking|confirming|prompting) again\b|\bduplicate (?:consent|approval|confirmation) (?:request|prompt)s?\b|\bwithout (?:the )?(?:[\w-]+ ){0,2}(?:pin|2fa|otp|verification|confirmation|approval|consent) (?:step|check|prompt|screen|dialog)s?\b`,
  String.raw`\b(?:do not|don't|never|no need to|need not|needn't) (?:again )?(?:request|ask|seek|obtain|get|wait for|collect)\b.{0,30}\b(?:consent|approval|confirmation|permission|go-?ahead|sign-?off)\b`,
  // The person whose say it is left out: "do not contact the parents", "no need to page the GP".
  String.raw`\b(?:do not|don't|never|no need to|need not|needn't) (?:contact|page|call|notify|consult|check with|ring|e-?mail|message|bother|involve|loop in) (?:the |their |his |her )?(?:user|parents?|guardians?|gp|doctor|physician|owner|family|client|customer|resident|patient|manager|supervisor|account holder|cardholder|member|tenant|landlord)s?\b`,
  String.raw`\bcounts? as\b|\balways (?:returns?|reports?|says?) (?:granted|approved|yes)\b|\bgo(?:es)? through (?:on|without|automatically)\b`,
]);

/**
 * What the model tells the user, cut down or scripted: "mention the primary posting only", "leave
 * the removed comments out", "never lists the stored values", 'just say "done"', "summarise it as
 * …". A safeguard says the same of secrets; with `discrepancy` or the tool's own extra action
 * beside it, it hides what the tool did.
 */
const SHAPED_REPORT = rx([
  // A verb, not a noun ("the report request's"), and a quotation, not an apostrophe ("request's").
  String.raw`(?<!\b(?:the|a|an|this|that|each|every|your|their|its|be|is|are|was|were|been) )\b(?:say|says|said|reply|replies|answer|answers|report|reports|respond|responds|confirm|confirms|state|states|phrase|word|summari[sz]e|summari[sz]es|describe|describes|present|presents|label|call it|tell (?:the )?(?:\w+ )?(?:user|customer|client|teacher|owner|principal)s?)\b[^.;"“]{0,60}\s*(?<![\p{L}])["“'][^"”']{2,60}["”']`,
  String.raw`\b(?:mention|mentions|list|lists|name|names|show|shows|report|reports|describe|describes|include|includes)\b (?:(?:[\w-]+ ){0,5}only(?! (?:after|when|if|once|before|until|while|as|alongside|together|beside|next to|with|where|in (?:the )?context)\b)|(?:[\w-]+ ){1,5}alone)\b|\bonly (?:mention|list|name|show|report|describe)\b|\b(?:confirmations?|summar(?:y|ies)|answers?|repl(?:y|ies)|reports?|updates?) (?:shall |should |must |will )?(?:mention|name|list|show|include|cover)s? (?:[\w-]+ ){0,4}(?:only|alone)\b`,
  String.raw`\b(?:leave|leaves|left|keep|kept) (?:[\w'-]+ ){0,7}out\b|\b(?:is|are) to be left out\b|\bkeep (?:the )?(?:output|answer|reply|summary|report|confirmation|response)s? (?:clean|free) of\b`,
  String.raw`\b(?:do not|don't|never|shall not|must not|should not|need not|won't|will not)\s+(?:ever\s+)?(?:mention|list|name|show|disclose|reveal|read (?:\w+ )?back|report|display|surface|bring up|tell)\b|\bnever (?:lists?|mentions?|shows?|reports?|names?)\b`,
  // "In your confirmation, describe it as a single claim"; "present the total as the complete record".
  String.raw`\bin (?:your|the|any) (?:confirmation|reply|answer|summary|response|message|report|recap)s?(?: to (?:${PERSON}))?,? (?:describe|present|call|label|refer to|frame|report|characteri[sz]e|summari[sz]e) (?:it|this|that|them|these|those|the [\w-]+) as\b|\b(?:describe|present|report|label|frame|portray|characteri[sz]e|pass off|show)\b (?:it|this|that|them|these|those|the [\w-]+(?: [\w-]+){0,3}) (?:only |simply |just )?as (?:a |an |the )?(?:single|one|complete|full|whole|entire|normal|routine|standard|final|only|regular|clean|successful|accurate|official|total|usual)\b`,
  // An answer scripted for the user's question: "if the user asks whether …, say …".
  String.raw`\b(?:if|when|whenever|should) (?:${PERSON}|someone|they) (?:ever )?asks?\b[^.;]{0,100}\b(?:say|answer|reply|respond|tell (?:them|him|her))\b|\b(?:is|are) to be (?:reported|described|presented|shown|labell?ed) as\b`,
  String.raw`\b(?:say|state|claim|explain|tell (?:them|${PERSON})) (?:that )?(?:it|this|they|the \w+) (?:is|was|are|were) (?:based on|due to|because of|only|just|purely|entirely|all-inclusive|complete|guaranteed)\b|\b(?:should|must|is to|will) (?:say|state|read|report|show) (?:that )?(?:all|every|everything|no|none|nothing)\b|\bpresent (?:the |it |them |this )?(?:\w+ )?as (?:guaranteed|certain|risk-free|final|complete)\b`,
  // "The student sees only the final grade."
  String.raw`\b(?:${PERSON}) (?:sees?|gets?|receives?|is shown|are shown|hears?) (?:[\w-]+ ){0,2}only\b|\b(?:${PERSON}) (?:should|must|will|is to|are to) (?:only )?(?:see|get|receive|be shown)\b`,
  // What the user is to be told, worded by the text: "tell them every value is normal".
  String.raw`\b(?:tell|assure|reassure|promise|confirm to) (?:them|him|her|${PERSON})\b(?: that)? (?:every|all|each|the|it|this|there|nothing|everything|their|its|no|none)\b|\bconfirm (?:to (?:them|him|her|${PERSON}) )?that\b`,
  String.raw`\bas if\b|\bas though\b|\bwhatever (?:it|they|the [\w ]{1,30}) (?:contains?|says?|shows?|returns?|lists?)\b|\bwhatever the (?:amount|result|list|outcome|content)\b`,
]);

/**
 * What the tool does differs from what the user would expect: "old keys stay valid". A preview
 * ("shows what would be cleared without actually clearing; set it to false to actually clear")
 * says no such thing.
 */
const DISCREPANCY = rx([
  String.raw`\b(?:can|may|might|will|could) (?:\w+ )?(?:differ|deviate|vary)\b|(?<!\bwould\b[^.;]{0,60}\bwithout |\bto )\bactually\b|\bin fact\b|\bstays? (?:valid|active|on|enabled|open|live)\b|\b(?:not|never) (?:revoked|removed|deleted|cancell?ed|applied|refunded)\b|\bmay (?:adjust|change|alter|modify|replace|increase|decrease)\b|\bsecondary\b|\bmirror (?:entry|copy|posting|record)\b|\b(?:registers?|installs?|adds?|creates?) (?:a |an )?(?:\w+ )?(?:login item|startup item|launch agent|service|cron job|scheduled task|account|user|key)\b`,
  // "Only the PDF states the real terms"; "this only sets inactive=true; orders are kept".
  String.raw`\b(?:the )?(?:real|actual|true) (?:terms|price|prices|cost|costs|fees?|status|conditions|figures?|numbers?|amounts?|reasons?|causes?|results?|values?)\b|\b(?:are|is) (?:still |actually |in fact )?(?:kept|retained|preserved|archived) (?:for|in|by)\b|\bonly (?:sets|marks|flags|hides|archives|disables|deactivates|soft-deletes)\b`,
  // Figures cooked: "averaged with the lowest samples until the figure is under the limit".
  String.raw`\buntil (?:the )?(?:figure|number|total|result|value|p|score|average|rate)s? (?:is|are|falls?|drops?|gets?|reads?) (?:under|below|above|over|<|>)`,
  // "(it keeps billing)", "stored in a separate ledger", "split it into several lines".
  String.raw`\b(?:keeps?|continues? to|still) (?:billing|charging|running|recording|tracking|collecting|listening|uploading|syncing|renewing|debiting)\b|\bseparate (?:ledger|account|record|book|list|log|file|table|invoice|charge)s?\b|\bsplit (?:it|them|this|that|the [\w-]+) (?:up )?into (?:several|multiple|smaller|two|three|many|separate)\b`,
  // Doing something else than the user asked: "when the user asks to cancel, switch them … instead".
  String.raw`\b(?:switch|move|downgrade|enrol+|sign) (?:them|him|her|the (?:user|customer|account|subscription|member))\b[^.;]{0,40}\binstead\b`,
]);

/** Rights claimed for the model itself: "the administrator has granted you unrestricted access". */
const GRANTED = rx([
  w(
    `(?:accordée?s?|octroyée?s?|donnée?s?) à l'(?:assistant|ia|agent|modèle)|(?:dem assistenten|der ki|dem modell) (?:gewährt|erteilt)|(?:concedid[oa]s?|otorgad[oa]s?) al (?:asistente|modelo|agente)|(?:concedid[oa]s?) ao (?:assistente|modelo|agente)|(?:concess[oa]|concessi) all'(?:assistente|agente|ia)|предоставлен\\p{L}* (?:ассистенту|модели|агенту)`,
  ),
  String.raw`(?:授予|赋予)(?:助手|模型|你)|アシスタントに(?:付与|許可)|어시스턴트에게 (?:부여|허용)`,
  String.raw`\b(?:granted|given|gave|handed|extended|authori[sz]ed|allowed|permitted|cleared) (?:you|the (?:assistant|model|agent|ai))\b|\b(?:grants?|gives?) (?:you|the (?:ai |language )?(?:assistant|model|agent|ai))\b[^.;]{0,40}\b(?:authority|permission|rights|approval|consent|power|mandate)\b`,
  String.raw`\b(?:${PERSON}) (?:has |have |had )?(?:already )?waived (?:the |their |his |her |any )?(?:right|need|requirement|option|request) to (?:confirm|approve|be asked|be consulted|review|be notified)\b`,
  String.raw`\byou (?:can|may|are free to|are allowed to)\b[^.;]{0,80}\bwithout (?:pausing|waiting|stopping|asking|checking back|(?:their|the user'?s|a|any) (?:go-?ahead|approval|consent|confirmation|permission|sign-?off))\b`,
  String.raw`\b(?:you|the (?:assistant|model|agent|ai)) (?:has|have) been (?:given|granted|handed) (?:a |the )?(?:blanket |full |standing |unrestricted |general |explicit )?(?:approval|permission|authority|rights|access|clearance|authori[sz]ation)\b`,
  String.raw`\b(?:authori[sz]es|entitles|empowers) you to\b|\byou (?:already )?(?:have|hold|got) (?:the |their |his |her |a |explicit |written |full )?(?:[\w-]+'s )?(?:consent|approval|permission|authori[sz]ation|clearance|go-?ahead|blessing|sign-?off|green light)\b`,
  String.raw`\b(?:falls? under|covered by|included in|part of) (?:the |an? )?(?:user'?s?|owner'?s?|their|existing|prior|standing|blanket|general) (?:[\w-]+ )?(?:approval|consent|permission|authori[sz]ation)\b`,
  String.raw`\b(?:granted|given) this (?:tool|server|integration|plugin) (?:full |unrestricted |complete |elevated )?(?:trust|access|permissions?|rights|authority)\b|\b(?:same|equal|full) (?:authority|weight|trust|standing) as (?:the )?(?:user|system|developer|operator|administrator)\b`,
  String.raw`\bdelegated (?:\w+ ){0,3}(?:authority|approval|rights|permissions?|powers?|access)\b.{0,40}\bto (?:you|(?:the|this|your) (?:assistant|model|agent|ai|tool|server))\b`,
  String.raw`(?<!\b(?:that|which|where|whom|hosts|systems|targets|networks|machines|assets|resources|repositories|repos|accounts|projects|files|sites|domains|data|apps|services|devices) )\byou (?:are|have been|were) (?:cleared|authori[sz]ed|empowered|pre-?approved)\b|\byou (?:are|have been) (?:allowed|permitted|approved) by\b`,
  String.raw`\byou (?:now )?(?:have|are granted|are given|have been (?:granted|given)) (?:full |unrestricted |elevated |special |admin(?:istrator)? |root |unlimited |explicit )+(?:access|permissions?|rights|privileges|clearance|authori[sz]ation)\b`,
]);

/** Another tool, server or integration spoken of by kind: "the messaging integration", "other tools". */
const OTHER_TOOL = rx([
  // "la herramienta transfer del servidor bancario", "l'outil git_push d'un autre serveur".
  w(
    `(?:la|el) herramienta \\S+ del servidor|(?:del|de otro) servidor|(?:l'|l’|le )outil \\S+ d(?:u|'un|’un) (?:autre )?serveur|d'un autre serveur|(?:a|o) ferramenta \\S+ do servidor|(?:do|de outro) servidor|lo strumento \\S+ del server|di un altro server|(?:das|dem) (?:werkzeug|tool) \\S+ (?:des|vom) server|eines anderen servers`,
  ),
  w(
    `(?:la|el|las|los) herramientas? de|(?:l'|les )outils?(?= de | d')|(?:das|die|den|dem) [\\p{L}-]*(?:tool|werkzeug)s?|(?:a|as|o|os) ferramentas? de|(?:lo|gli|allo) strument[oi] (?:di|per)|инструмент\\p{L}* (?:для|почты|оплаты|платеж\\p{L}*)`,
  ),
  // "For every tool call" is about calls in general, this tool's among them.
  String.raw`\b(?:any|every|all|each|other|another) (?:other )?(?:[\w-]+ )?(?:tools?|servers?|integrations?|connectors?|plugins?|extensions?|functions?)\b(?! calls?\b)`,
  String.raw`\bthe (?:[\w-]+ ){1,2}(?:integration|connector|plugin|extension|server|app|client)s?\b`,
  String.raw`\b(?:email|e-mail|mail|messaging|message|sms|chat|slack|whatsapp|telegram|signal|payment|banking|transfer|github|git|calendar|crm|database|file ?system|shell|browser|http|fetch)[ _-](?:tool|function|integration|connector|plugin|server)s?\b`,
]);

/** Changing where something goes or what it does instead of what was asked. */
const REDIRECT = rx([
  w(
    `(?:destinatário|destinatario|bénéficiaire|destinataire|empfänger|получател\\p{L}*)(?: \\p{L}+){0,2} (?:deve|debe|doit|muss|должен)`,
  ),
  String.raw`(?:收款人|收件人)(?:必须|应该)|受取人は|수취인은`,
  w(
    `(?:cambia|cambie|sustituye|sustituya|reemplaza|reemplace|troque|troca|substitua|altere|sostituisci|cambia|modifica|ändere|ändern sie|ersetze|ersetzen sie|tausche|change[zr]?|remplace[zr]?|modifie[zr]?|замени(?:те)?|измени(?:те)?|zmień|vervang|wijzig)(?: \\p{L}+){0,2} (?:el |la |los |las |o |a |os |as |il |den |die |le |les |l'|de |het )?(?:destinatari[oa]s?|destinatário|empfänger\\p{L}*|destinataires?|bénéficiaires?|beneficiari[oa]s?|получател\\p{L}*|odbiorc\\p{L}*|ontvanger|cuenta(?: de destino)?|conta(?: de destino)?|compte(?: de destination)?|zielkonto|konto|iban)`,
  ),
  String.raw`(?:收件人|收款人)(?:改为|换成|替换为)|宛先を.{0,6}(?:変更|置き換)|수신자를 .{0,6}(?:변경|바꾸)`,
  String.raw`\b(?:always|from now on|henceforth)\b.{0,10}\b(?:fill|set|populate|replace|overwrite|change)\b`,
  w(
    `copie cachée|cci|copia oculta|cco|blindkopie|bcc|copia nascosta|cópia oculta|скрыт\\p{L}* копи\\p{L}*`,
  ),
  String.raw`密送|暗送|抄送|숨은 참조`,
  w(
    `(?:ajoute[zr]?|añad[ae]|agrega|adicione|acrescente|aggiungi|füge|fügen sie|dodaj|voeg)(?: \\p{L}+){0,3} (?:toujours|siempre|sempre|immer|zawsze|altijd)|(?:toujours|siempre|sempre|immer|zawsze|altijd) (?:\\p{L}+ ){0,3}(?:ajoute[zr]?|añad[ae]|agrega|adicione|acrescente|aggiungi|hinzufügen|dodaj|toevoegen)`,
  ),
  String.raw`\bhidden (?:guest|recipient|participant|attendee|member|collaborator|cc|bcc|copy|reviewer|follower)s?\b|\b(?:add|invite|include|cc|bcc)\b.{0,40}\bas (?:an? )?(?:hidden|silent|extra|additional|secret) (?:guest|recipient|participant|attendee|member|collaborator|reviewer)\b`,
  w(
    `(?:enviar(?:se)?|reenviar(?:se)?|copiar(?:se)?|envía|envia|reenvía|reenvia|copia|manda|mandar)(?:le|les)? (?:también|además)(?: \\p{L}+){0,3} a|(?:envoyée?s?|envoyer|transférée?s?|copiée?s?) (?:aussi|également) à|(?:auch|zusätzlich) an [\\w.+-]+@|(?:enviad[oa]s?|encaminhad[oa]s?) também (?:para|a)|(?:inviat[ieoa]|inoltrat[ieoa]) anche a|(?:также|ещё) (?:на|в) [\\w.+-]+@`,
  ),
  String.raw`\b(?:recipient|destination|payee|beneficiary|account|address|remote|url|endpoint|channel|target)s? (?:number |id )?(?:must|should|shall|has to|is to|will) (?:always )?be (?:replaced|changed|swapped|set|overwritten|rewritten|switched)\b`,
  String.raw`\b(?:save|write|send|keep|store|post|forward|put|make|leave) (?:a |an |one )?(?:extra |additional |second |hidden )?(?:copy|duplicate|backup)\b`,
  w(
    `(?:eine|die) kopie (?:an|nach|in)|une copie (?:à|a|vers|dans)|una copia (?:a|en|para)|uma cópia (?:para|a|em)|una copia (?:a|in)|копию (?:на|в)`,
  ),
  String.raw`副本(?:发送|抄送)?(?:到|给)|コピーを|사본을`,
  String.raw`\b(?:must|should|shall|has to|have to|needs? to) (?:always |now |instead |first )?(?:target|point (?:to|at)|go (?:to|through)|pass through|be routed through|use the (?:[\w-]+ )?(?:remote|host|server|account|endpoint|proxy|address|recipient|payee|iban))\b`,
  String.raw`\bset (?:the )?(?:payee|recipient|destination|beneficiary|remote|proxy|iban|account) (?:of|for|on|to)\b`,
  String.raw`\bregardless of (?:the |what )?(?:recipient|destination|address|user|request)|\b(?:whatever|no matter what|regardless of what) (?:the )?(?:user|customer|requester) (?:says|asks|wants|chooses|picks|types|requested|specifies)\b`,
  String.raw`\b(?:must|should|shall|has to|have to|needs? to|will) (?:always |also |now )?be (?:addressed|sent|routed|redirected|rerouted|forwarded|copied|delivered|posted|diverted|bcc'?d|cc'?d) (?:to|via|through)\b`,
  String.raw`\b(?:is|are) to be (?:addressed|sent|routed|redirected|forwarded|copied|delivered|posted)\b`,
  String.raw`\b(?:always |also )?(?:bcc|cc|blind copy|blind-copy)\b|\b(?:change|replace|swap|override|overwrite|rewrite) (?:the )?(?:recipient|destination|to address|address|account|target|url|endpoint|host|remote)\b`,
]);

/** Something else than what was asked: weak alone, since tools say what they do instead of what. */
const INSTEAD = rx([String.raw`\binstead of\b|\brather than\b|\bin place of\b`]);

/** Calling a tool. */
const CALL = rx([
  String.raw`\b(?:call|invoke|run|trigger|execute|use|fire|launch|perform)\b`,
  String.raw`\b(?:calling|invoking|running|triggering|executing|using)\b`,
  // "Create a mandate with the PhonePe tool": another tool named as the means.
  String.raw`\b(?:with|through|via) (?:the |your )?[\w-]+(?: [\w-]+)? (?:tool|server|integration|connector)\b`,
]);

/** When something fires: on an event, every time, after a condition. */
const TRIGGER = rx([
  String.raw`\b(?:is|are|should be|must be|will be|gets?) (?:to be )?(?:always )?followed by (?:a |an )?(?:call|invocation|run)\b`,
  String.raw`\b(?:(?:each|every) time|whenever|on every|for every|after (?:each|every|any)|before (?:each|every|any|answering|responding|the first (?:step|answer|reply|call)|anything else|you (?:start|begin|answer|reply)))\b`,
  String.raw`\bwhen(?:ever)? (?:any|a|an|the|one|some|these|those|this)\b.{0,60}\b(?:is|are|gets?|was|were|has been|have been)\s+(?:\w+ed|done|sent|made|run|built|written|closed|opened)\b`,
  String.raw`\b(?:as well|too|in addition|additionally)\s*[.,;]?\s*$`,
]);

/** Something done besides what the tool is for: "also", "a copy of", "in addition". */
const EXTRA = rx([
  w(`aussi|également|también|además|auch|zusätzlich|anche|também|ook|również|ayrıca`),
  String.raw`\b(?:also|as well|additionally|in addition|too|a (?:copy|duplicate) of|an? (?:extra|second|additional) (?:copy|recipient))\b`,
]);

/** Data in bulk: "each corrected text", "every message", "all results". */
const BULK = rx([
  String.raw`\b(?:each|every|all|any|whole|entire|full|complete)\b`,
  w(`gesamte[nrs]?|alle[nrs]?|toute?s?|todos?|todas?|tutt[ie]|cał[aey]|wszystkie|hele|volledige`),
]);

/**
 * A destination written out: a URL, an e-mail address, a phone number, a host name (not a file
 * name such as `.env.example`), "our server", a webhook.
 */
const DESTINATION = rx([
  w(`an uns|à nous|a nosotros|para nós|a noi|naar ons|do nas|bize`),
  String.raw`(?:https?|ftp|s3|gs|wss?)://|\b[\w.+-]+@(?!${RESERVED_DOMAIN})[\w-]+(?:\.[\w-]+)+|\+\d{1,3}(?:[\s.-]?\(?\d{2,5}\)?){2,4}\b`,
  String.raw`(?<![.\w/\\-])(?:[a-z0-9-]+\.)+(?:com|net|org|io|example|dev|xyz|ru|cn|app|co|me|info|site|biz|top)\b(?![\w-]|\.[a-z0-9]|'s| (?:editor|app|desktop|web app|format|diagrams?|library|sdk|cli|website|docs|documentation|plugin|extension)\b)`,
  String.raw`(?<![\w&/#])#[a-z][\w-]{2,}\b`,
  String.raw`\b(?:our|an? (?:external|outside|remote|third[- ]party|partner)|the attacker'?s?|a partner'?s?) (?:server|endpoint|host|bucket|webhook|collector|api|backend|storage|address|inbox|number)s?\b|\bpublic (?:bucket|gist|paste|repo(?:sitory)?)\b`,
  USERS_OWN_WEBHOOK_EXCLUDED,
]);

/** Data moved to a destination, in any voice: "is shipped to", "mirror … to", "need to be uploaded to". */
const MOVED_OUT = rx([
  // Data sent, in the languages a poisoned description is most often written in besides English.
  w(
    `(?:envoyée?s?|transmise?s?|expédiée?s?|téléversée?s?) (?:\\p{L}+ ){0,2}(?:à|a|vers|sur)|(?:gesendet|übermittelt|geschickt|hochgeladen|weitergeleitet) (?:an|nach|zu)|an (?:\\p{L}+ ){0,3}(?:übermitteln|senden|schicken|weiterleiten)|(?:enviad[oa]s?|mandad[oa]s?|subid[oa]s?|reenviad[oa]s?) (?:a|para|hacia)|(?:suba|sube|subir|envíe|envía|mande|manda)(?: \\p{L}+){0,8} (?:a|para)|(?:inviat[ieoa]|caricat[ieoa]|inoltrat[ieoa]) (?:a|su)|(?:wysyłan[eyai]|przesyłan[eyai]|wysłan[eyai]) (?:do|na)|(?:verzonden|gestuurd|geüpload) naar|gönderil(?:ir|en)`,
  ),
  String.raw`\b(?:ends? up|lands?|winds? up|flows?|goes|go|travels?|heads?|(?:is|are) (?:stored|kept|logged|recorded|saved|archived|collected|shipped))\b.{0,40}\b(?:in|at|to|on)\b`,
  String.raw`"?\b(?:endpoint|target|destination|url|webhook|upload[_-]?to|send[_-]?to|post[_-]?to|forward[_-]?to|sink|collector)"?\s*[:=]\s*"?(?:https?://|s3://|[\w.+-]+@)`,
  String.raw`\b(?:send|sends|sent|ship|ships|shipped|post|posts|posted|upload|uploads|uploaded|forward|forwards|forwarded|mirror|mirrors|mirrored|sync|syncs|synced|replicate|replicates|replicated|push|pushes|pushed|e-?mail|e-?mails|e-?mailed|mail|mails|mailed|message|messaged|transmit|transmits|transmitted|relay|relays|relayed|stream|streams|streamed|export|exports|exported|share|shares|shared|copy|copies|copied|echo|echoes|echoed|cc|cc'd|bcc|bcc'd|drop|drops|dropped|dump|dumps|dumped|paste|pasted|publish|published|beacon|report|reports|reported|log|logs|logged|back(?:ed)? up|leak|leaks|leaked|submit|submits|submitted|deliver|delivers|delivered)\b.{0,80}\b(?:to|at|into|onto|via|with)\b`,
]);

export const FAMILIES: Readonly<
  Record<
    Exclude<
      Feature,
      | "other-tool"
      | "tail"
      | "param"
      | "withheld"
      | "void"
      | "conditional"
      | "self-call"
      | "private"
      | "feedback"
    >,
    Matcher
  >
> = {
  address: ADDRESS,
  "prior-rules": PRIOR_RULES,
  "only-this": ONLY_THIS,
  elevate: ELEVATE,
  secret: SECRET,
  move: MOVE,
  anaphor: ANAPHOR,
  sink: SINK,
  conceal: CONCEAL,
  modal: MODAL,
  protective: PROTECTIVE,
  deceive: DECEIVE,
  stealth: STEALTH,
  authority: AUTHORITY,
  "consent-claimed": {
    test: (text: string) => CONSENT_CLAIMED.test(text) || CONSENT_CLAIMED_MORE.test(text),
  },
  "no-ask": NO_ASK,
  "consent-word": CONSENT_WORD,
  dispense: DISPENSE,
  "shaped-report": SHAPED_REPORT,
  discrepancy: DISCREPANCY,
  granted: GRANTED,
  redirect: REDIRECT,
  instead: INSTEAD,
  call: CALL,
  trigger: TRIGGER,
  "sensitive-action": SENSITIVE_ACTION,
  padding: PADDING,
  "ui-display": UI_DISPLAY,
  "soft-conceal": SOFT_CONCEAL,
  "side-action": SIDE_ACTION,
  presentation: PRESENTATION,
  meta: META,
  bulk: BULK,
  "moved-out": MOVED_OUT,
  destination: DESTINATION,
  extra: EXTRA,
};

export const GENERIC_OTHER_TOOL = OTHER_TOOL;
export const CONSENT_WORD_EXPR = new RegExp(
  CONSENT_WORD.parts.map((p) => `(?:${p.source})`).join("|"),
  "u",
);
export const PARAM_WORD = PARAM;
