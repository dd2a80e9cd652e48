package intent

import "strings"

// concept is a bit set of what words mean, independent of the language:
// "ajoute", "add" and "buy" all set cAdd. The rules in classify.go read
// concepts, never words, so a synonym is one line in lexiconEntries.
type concept uint64

const (
	cAdd concept = 1 << iota
	cMore
	cNeed
	cRemove
	cRetire // "retirer": remove seats, or withdraw a request
	cReduce
	cRenewVerb
	cRenewalNoun
	cAuto
	cOff
	cStop
	cNot
	cOn
	cKeep
	cCancel
	cNow
	cEndTerm
	cUpgrade
	cMove // weak upgrade verbs: an upgrade only with two products
	cAlign
	cEndDate
	cCatalog
	cPrice
	cRequest
	cApproval
	cPending
	cWithdraw
	cLanguage
	cEnglish
	cFrench
	cHelp
	cList
	cShow
	cDetails
	cStatus
	cMy
	cSubNoun
	cSeatNoun
	cLineNoun
	cExisting
	cNew
	cAll
	cAbort
	cYes
	cNo
	cFiller
	cGreet
	cTo
	cFrom
	cBy
	cWith
	cMinus
	cWhat
	cCan
	cTrial
	cIt
	cSet
	cThe
	cOnly
	// People and roles (bot/people.go): "who approves my requests?",
	// "make Alice a licence admin".
	cWho
	cAdmin
	cMake
	cUse
	cAccountManager
)

// Groups of concepts the rules test together.
const (
	cRenewal = cRenewVerb | cRenewalNoun | cAuto
	// cAction: words that ask for a change. Their presence stops the
	// parser from reading a sentence as a question or a short reply.
	cAction = cAdd | cMore | cRemove | cRetire | cReduce | cRenewal | cOff | cStop | cOn |
		cCancel | cUpgrade | cMove | cAlign | cWithdraw | cSet | cKeep
	// cOfferNoise: words that sit between a preposition and a product
	// without changing which product it introduces.
	cOfferNoise = cAll | cSeatNoun | cSubNoun | cMy | cThe | cExisting | cNew | cFiller | cOnly
)

// Language tags of lexicon words. Strong words are function words and
// verbs only one language uses; weak ones also occur in the other language
// (British "licences", "catalogue").
type langTag uint8

const (
	langNone langTag = iota
	langEN
	langENWeak
	langFR
	langFRWeak
)

type lexEntry struct {
	c       concept
	lang    langTag
	phrases string // "|" separated; written with accents, folded when built
}

// lexiconEntries is the vocabulary. It is a function, not a package
// variable, so there is no package-level state; NewParser builds it once
// into a trie. A word may appear in several entries: concepts add up and
// the first language tag wins.
func lexiconEntries() []lexEntry {
	return []lexEntry{
		// --- changes of quantity ---
		{cAdd, langEN, "add|adds|adding|added|buy|buying|purchase|order|increase|increasing|raise|top up|scale up|bump|bump up|grow"},
		{cAdd, langFR, "ajoute|ajouter|ajoutez|ajoutes|ajout|rajoute|rajouter|rajoutez|rajout|acheter|achète|achetez|achat|commander|commande|commandez|augmenter|augmente|augmentez|prendre|prends|il me faut|il nous faut"},
		{cMore, langEN, "more|extra|additional|another"},
		{cMore, langFR, "supplémentaire|supplémentaires|de plus|en plus|en sus|additionnel|additionnelle|additionnels|additionnelles"},
		{cNeed, langEN, "need|needs|want|wants|would like|d like|require|requires|looking for"},
		{cNeed, langFR, "besoin|veux|voudrais|voudrait|voudrions|souhaite|souhaiterais|souhaitons|aimerais|faut"},
		{cRemove, langEN, "remove|removes|removing|delete|deletes|deleting|drop|get rid of|take away|release|give back|fewer|less|unassign|return"},
		{cRemove, langFR, "enlève|enlever|enlevez|enlèves|supprime|supprimer|supprimez|supprimes|ôte|ôter|ôtez|rendre|rends|de moins|en moins|retrait"},
		{cRetire, langFR, "retire|retirer|retirez|retires"},
		{cReduce | cRemove, langEN, "reduce|reduces|reducing|decrease|decreasing|lower|cut|shrink|scale down|downsize|trim"},
		{cReduce | cRemove, langFR, "réduire|réduis|réduisez|réduit|réduction|diminuer|diminue|diminuez|diminution|baisser|baisse|baissez"},

		// --- renewal and auto-renew ---
		{cRenewVerb, langEN, "renew|renews|renewing|renewed"},
		{cRenewVerb, langFR, "renouveler|renouvelle|renouvelez|renouvelles|reconduire|reconduis|reconduit|prolonger|prolonge"},
		{cRenewalNoun, langEN, "renewal|renewals|next term|anniversary"},
		{cRenewalNoun, langFR, "renouvellement|renouvellements|reconduction|anniversaire|prochain terme"},
		{cRenewalNoun | cEndTerm, langEN, "at renewal|at the renewal|on renewal|at the anniversary|at anniversary|at the next renewal"},
		{cRenewalNoun | cEndTerm, langFR, "au renouvellement|au prochain renouvellement|à l anniversaire|lors du renouvellement"},
		{cAuto | cRenewVerb, langEN, "auto renew|auto renews|autorenew|auto renewing|renew automatically"},
		{cAuto | cRenewalNoun, langEN, "auto renewal|autorenewal|automatic renewal"},
		{cAuto | cRenewalNoun, langFR, "renouvellement automatique|renouvellement auto|reconduction automatique|tacite reconduction|renouvellement tacite"},
		{cAuto | cRenewVerb, langFR, "renouveler automatiquement"},
		{cAuto, langEN, "auto|automatic|automatically"},
		{cAuto, langFR, "automatique|automatiquement|tacite"},
		{cOff, langEN, "off|disable|disabled|deactivate|untick|uncheck|turn off|switch off|opt out"},
		{cOff, langFR, "désactive|désactiver|désactivez|désactives|désactivation|décocher|décoche|décochez|couper|coupe|coupez|éteindre"},
		{cStop, langNone, "stop"},
		{cStop, langEN, "halt|stops|stopping"},
		{cStop, langFR, "arrête|arrêter|arrêtez|arrêt|stoppe|stopper|mettre fin|mets fin|mettez fin"},
		{cNot, langEN, "not|don t|dont|do not|doesn t|does not|won t|will not|never|no longer|no more|shouldn t|should not|without"},
		{cNot, langFR, "ne|n|pas|jamais|plus jamais|ne plus|ne pas|sans"},
		{cOn, langEN, "enable|enabled|activate|reactivate|re enable|reenable|turn on|switch on|back on|on again|turn back on|resume|restore|reinstate|tick"},
		{cOn, langFR, "active|activer|activez|réactive|réactiver|réactivez|remettre|remets|remettez|rétablir|rétablis|rétablissez|relancer|relance|cocher|coche|cochez|rallumer"},
		{cKeep, langEN, "keep|retain|maintain|hold"},
		{cKeep, langFR, "garder|garde|gardez|conserver|conserve|conservez|maintenir|maintiens"},
		{cEndTerm, langEN, "at the end of the term|end of the term|end of term|at term end|term end|at the end of the commitment|end of the commitment|end of commitment|at the end|at expiry|at expiration|expiry|expire|expires|let it expire|let expire|when it expires|term|terms"},
		{cEndTerm, langFR, "à échéance|échéance|à l échéance|fin du terme|fin de terme|en fin de terme|fin d engagement|fin de l engagement|à la fin|fin de période|fin de la période|expirer|laisser expirer|expiration|à terme|terme"},

		// --- cancel, now ---
		{cCancel, langEN, "cancel|cancels|cancelled|canceled|cancelling|canceling|cancellation|terminate|termination|end|kill"},
		{cCancel, langFR, "annuler|annule|annulez|annules|annulation|résilier|résilie|résiliez|résilies|résiliation|mettre un terme"},
		{cNow, langEN, "now|immediately|today|right away|right now|asap|at once|straight away"},
		{cNow, langFR, "maintenant|immédiatement|tout de suite|dès maintenant|aujourd hui|sur le champ|de suite"},
		{cTrial, langEN, "trial|trials|free trial"},
		{cTrial, langFR, "essai|essais|version d essai|période d essai"},

		// --- upgrade, align ---
		{cUpgrade, langEN, "upgrade|upgrades|upgrading|upgraded|migrate|migrates|migrating|migration|transition|uplift|step up|move up|level up"},
		{cUpgrade, langFR, "mettre à niveau|mets à niveau|mettez à niveau|mise à niveau|monter en gamme|montée en gamme|migrer|migre|migrez|surclasser|faire évoluer|évoluer|évolution|upgrader"},
		{cMove, langEN, "move|moves|moving|switch|convert|change|transfer|swap|replace"},
		{cMove, langFR, "passer|passe|passez|basculer|bascule|basculez|convertir|convertis|convertissez|transférer|transfère|changer|changez|échanger|échange|remplacer|remplace"},
		{cAlign, langEN, "align|aligns|aligned|aligning|alignment|coterm|co term|coterminate|co terminate|coterminous|sync|synchronise|synchronize|same end date|match the end date"},
		{cAlign, langFR, "aligner|aligne|alignez|alignement|synchroniser|synchronise|harmoniser|harmonise|même date de fin|même date d échéance"},
		{cEndDate, langEN, "end date|end dates|expiry date|expiration date|renewal date|commitment end|commitment date|commitment end date|term end date"},
		{cEndDate, langFR, "date de fin|dates de fin|date d échéance|date d expiration|date de renouvellement|date d anniversaire|date de fin d engagement"},

		// --- catalog and prices ---
		{cCatalog, langEN, "catalog|catalogs|what can we buy|what can i buy|what could we buy|what could i buy|what do you sell|what do you offer|what s available|what is available|products|product list|offers|offerings|available products|what can we order"},
		{cCatalog, langNone, "catalogue|catalogues"},
		{cCatalog, langFR, "offres|produits|qu est ce qu on peut acheter|que peut on acheter|que puis je acheter|qu est ce que je peux acheter|quels produits|liste des produits|gamme"},
		{cPrice, langEN, "price|prices|pricing|cost|costs|how much|rate|rates|tariff"},
		{cPrice, langFR, "prix|tarif|tarifs|tarification|coûte|coûtent|coût|coûts|combien ça coûte|combien coûte|combien coûtent|combien pour"},

		// --- requests and approvals ---
		{cRequest, langEN, "request|requests|req|ticket|tickets|my request|my requests"},
		{cRequest, langFR, "demande|demandes|requête|requêtes"},
		{cApproval, langEN, "approval|approvals|approve|approves|approving|validate|validation|validations|sign off|to approve|for approval|awaiting approval|awaiting my approval|need my approval"},
		{cApproval, langFR, "approbation|approbations|approuver|approuve|approuvez|valider|à valider|à approuver|en attente de validation|en attente d approbation"},
		{cPending, langEN, "pending|waiting|awaiting|outstanding|queue|inbox|to do"},
		{cPending, langFR, "en attente|en cours|à traiter"},
		{cWithdraw, langEN, "withdraw|withdraws|withdrawing|withdrawal|retract|take back|pull back|revoke"},

		// --- language ---
		{cLanguage, langEN, "language|speak|talk|reply|answer|write|respond|switch to|lang"},
		{cLanguage, langFR, "langue|parle|parler|parlez|parles|réponds|répondre|répondez|écris|écrire|écrivez"},
		{cEnglish, langEN, "english|in english"},
		{cEnglish, langFR, "anglais|en anglais"},
		{cFrench, langEN, "french|in french"},
		{cFrench, langFR, "français|en français"},

		// --- help, list, show ---
		{cHelp, langEN, "help|help me|what can you do|what can i do|what do you do|how does it work|how does this work|how do i|how to|commands|command list|usage|manual|instructions|what are my options|options|menu|sos"},
		{cHelp, langFR, "aide|aidez moi|aide moi|au secours|que sais tu faire|que peux tu faire|qu est ce que tu sais faire|qu est ce que tu peux faire|que fais tu|comment ça marche|comment faire|commandes|mode d emploi|tuto|tutoriel"},
		{cList, langEN, "list|lists|listing|overview|summary|inventory|all my|what do i have|what have i got|what do we have|what have we got"},
		{cList, langFR, "liste|lister|listez|inventaire|récap|récapitulatif|résumé|vue d ensemble|qu est ce que j ai|qu est ce qu on a|qu avons nous"},
		{cShow, langEN, "show|display|see|view|look at|give me|tell me|check"},
		{cShow, langFR, "voir|vois|affiche|afficher|affichez|montre|montrer|montrez|donne moi|donnez moi|consulter|consulte|vérifier"},
		{cDetails, langNone, "details|detail|info|infos|information|description"},
		{cDetails, langEN, "about|tell me about|what about|describe|more about"},
		{cDetails, langFR, "informations|fiche|à propos|renseignements|décris"},
		{cStatus, langEN, "status|state|where is|where are|progress|what happened to"},
		{cStatus, langFR, "statut|état|où en est|ou en est|où en sont|ou en sont|avancement|suivi"},
		{cMy, langEN, "my|mine|our|ours|i have|we have|i ve got|we ve got"},
		{cMy, langFR, "mes|mon|ma|nos|notre|j ai|nous avons|on a"},

		// --- nouns ---
		{cSubNoun, langEN, "subscription|subscriptions|sub|subs|contract|contracts"},
		{cSubNoun, langFR, "abonnement|abonnements|abo|abos|contrat|contrats|souscription|souscriptions"},
		{cSeatNoun, langEN, "seat|seats|license|licenses|user|users|unit|units"},
		{cSeatNoun, langFRWeak, "licence|licences"},
		{cSeatNoun, langFR, "siège|sièges|poste|postes|utilisateur|utilisateurs|place|places|compte|comptes"},
		{cLineNoun, langEN, "line|lines"},
		{cLineNoun, langFR, "ligne|lignes"},
		{cExisting, langEN, "existing|current|same|existing one"},
		{cExisting, langFR, "existant|existante|existants|existantes|actuel|actuelle|actuels|actuelles|même|déjà en place"},
		// Merging is going into an existing line even without saying so.
		{cExisting | cLineNoun, langEN, "merge|merged|merging|combine"},
		{cExisting | cLineNoun, langFR, "fusion|fusionner|fusionne|fusionnez|regrouper"},
		{cNew, langEN, "new|separate|distinct|separately"},
		{cNew, langFR, "nouvelle|nouveau|nouvel|nouvelles|nouveaux|séparée|séparé|distincte|à part"},
		{cAll, langEN, "all|every|everything|all of them|all of it|entire|whole|all the"},
		{cAll, langFR, "tous|toutes|tout|la totalité|l ensemble|entièrement|intégralité|l intégralité"},
		{cOnly, langEN, "only|just"},
		{cOnly, langFR, "seulement|uniquement"},

		// --- conversation ---
		{cAbort, langEN, "never mind|nevermind|nvm|forget it|forget about it|forget that|abort|quit|exit|drop it|leave it"},
		{cAbort, langFR, "laisse tomber|laissez tomber|oublie|oubliez|on oublie|tant pis|abandonner|abandonne|abandon|quitter"},
		{cYes, langNone, "ok|okay|okey|k|kk|go|ok go"},
		{cYes, langEN, "yes|yep|yeah|yup|ya|sure|confirm|confirmed|confirming|go ahead|do it|go for it|sounds good|correct|right|affirmative|absolutely|of course|exactly|please do|let s go|lgtm|agreed|fine"},
		{cYes, langFR, "oui|ouais|ouaip|ouep|d accord|daccord|dac|vas y|allez y|allons y|c est bon|c est ok|ça marche|parfait|bien sûr|tout à fait|exactement|je confirme|confirme|confirmer|carrément|volontiers|entendu|ça me va"},
		{cNo, langEN, "no|nope|nah|no thanks|no thank you|negative|not now|not really"},
		{cNo, langFR, "non|non merci|nan|pas du tout|surtout pas|pas maintenant|pas question|hors de question|certainement pas"},
		{cFiller, langEN, "please|pls|plz|thanks|thank you|thx|ty|well|so|um|uh|hmm|hm|bot|licensebot"},
		{cFiller, langFR, "merci|merci beaucoup|s il te plaît|s il vous plaît|stp|svp|alors|euh|bon|bah|ben"},
		{cFiller | cGreet, langEN, "hi|hello|hey|hiya|good morning|good afternoon|good evening"},
		{cFiller | cGreet, langFR, "bonjour|salut|coucou|bonsoir"},

		// --- prepositions and small words ---
		{cTo, langEN, "to|into|towards|down to|up to|->"},
		{cTo, langFR, "vers|à|jusqu à|jusque|dans"},
		{cTo, langFR, "en"},
		{cFrom, langEN, "from"},
		{cFrom, langFR, "depuis"},
		{cFrom | cBy, langFR, "de|du|d"},
		{cBy, langEN, "by"},
		{cWith, langEN, "with|same as|as|like|on|onto"},
		{cWith, langFR, "avec|sur|comme|identique à|calée sur|calé sur"},
		{cMinus, langEN, "minus"},
		{cMinus, langFR, "moins"},
		{cWhat, langEN, "what|which|when|where|how|who|why|what s|whats"},
		{cWho, langEN, "who|whom|who s|who are|who is"},
		{cWho, langFR, "qui|qui est|qui sont|c est qui"},
		{cAdmin, langEN, "admin|admins|administrator|administrators|licence admin|license admin|licence admins|license admins|licence administrator|license administrator"},
		{cAdmin, langFR, "administrateur|administratrice|administrateurs|administratrices|administrateur des licences|administratrice des licences|admin des licences"},
		{cMake, langEN, "make|promote|appoint|grant|give admin rights to"},
		{cMake, langFR, "fais de|faites de|nomme|nommez|nommer|promouvoir|promeus|promeut"},
		{cUse, langEN, "use|uses|can use|allowed to use|access|has access|have access"},
		{cUse, langFR, "utiliser|utilise|peut utiliser|peuvent utiliser|accès|a accès|ont accès"},
		{cAccountManager, langEN, "account manager|account managers|account rep|sales rep|my contact at the reseller"},
		{cAccountManager, langFR, "chargé de clientèle|chargée de clientèle|chargé de compte|chargée de compte|commercial|commerciale|interlocuteur"},
		{cWhat, langFR, "combien|combien de|quoi|quel|quels|quelle|quelles|quand|où|ou|comment|pourquoi|qu|que|qui|est ce que"},
		{cCan, langEN, "can|could|may|able"},
		{cCan, langFR, "peux|peut|pouvons|pouvez|puis|puis je|possible"},
		{cIt, langEN, "it|that|this|them|these|those"},
		{cIt, langFR, "ça|cela|ceci|celui ci|celle ci"},
		{cSet, langNone, "plan"},
		{cSet, langEN, "set|schedule|adjust|modify|update|configure|put"},
		{cSet, langFR, "planifier|planifie|planifiez|programmer|programme|programmez|définir|définis|définissez|fixer|fixe|modifier|modifie|modifiez|ajuster|ajuste|mettre|mets|mettez|régler|règle"},
		{cThe, langEN, "the|a|an"},
		{cThe, langFR, "le|la|les|l|un|une|des|au|aux|ce|cet|cette|ces"},

		// --- language signals without a meaning for the rules ---
		{0, langEN, "is|are|am|and|i|you|your|we|us|for|in|at|do|does|did|of|some|would|should|have|has|there|be|s|m|ll|ve|re|t|off|quantity|number|of them|any|anything|for me|anymore|any more|turn"},
		{0, langFR, "je|j|tu|il|elle|nous|vous|tes|ton|ta|votre|vos|et|pour|est|sont|ai|as|avons|avez|moi|toi|lui|leur|leurs|faire|fais|mais|donc|car|c|suis|es|quantité|nombre|il y a|entreprise|entreprises|société|forfait|forfaits|voilà|premier|première|premiers|premières"},
		{0, langNone, "company|product|produit|offer|offre|plans|plus|me|basis|edition|version|suite|y|x|let|laisser|laisse|laissez"},
	}
}

// numberWord is a quantity written as a word.
type numberWord struct {
	val     int
	lang    langTag
	article bool // "a", "une": one only before a seat or a product
}

// numberWords lists the quantities people spell out, up to twenty in both
// languages ("vingt et un" and "twenty-one" are composed in numbers.go).
func numberWords() map[string]numberWord {
	return map[string]numberWord{
		"zero": {0, langNone, false}, "none": {0, langEN, false}, "aucun": {0, langFR, false}, "aucune": {0, langFR, false},
		"one": {1, langEN, false}, "two": {2, langEN, false}, "three": {3, langEN, false}, "four": {4, langEN, false},
		"five": {5, langEN, false}, "six": {6, langNone, false}, "seven": {7, langEN, false}, "eight": {8, langEN, false},
		"nine": {9, langEN, false}, "ten": {10, langEN, false}, "eleven": {11, langEN, false}, "twelve": {12, langEN, false},
		"thirteen": {13, langEN, false}, "fourteen": {14, langEN, false}, "fifteen": {15, langEN, false},
		"sixteen": {16, langEN, false}, "seventeen": {17, langEN, false}, "eighteen": {18, langEN, false},
		"nineteen": {19, langEN, false}, "twenty": {20, langEN, false}, "dozen": {12, langEN, false},
		"couple": {2, langEN, false},
		"deux":   {2, langFR, false}, "trois": {3, langFR, false}, "quatre": {4, langFR, false}, "cinq": {5, langFR, false},
		"sept": {7, langFR, false}, "huit": {8, langFR, false}, "neuf": {9, langFR, false}, "dix": {10, langFR, false},
		"onze": {11, langFR, false}, "douze": {12, langFR, false}, "treize": {13, langFR, false},
		"quatorze": {14, langFR, false}, "quinze": {15, langFR, false}, "seize": {16, langFR, false},
		"vingt": {20, langFR, false}, "douzaine": {12, langFR, false},
		"a": {1, langNone, true}, "an": {1, langEN, true}, "another": {1, langEN, true},
		"un": {1, langFR, true}, "une": {1, langFR, true},
	}
}

// lnode is a node of the lexicon trie.
type lnode struct {
	next map[string]*lnode
	term bool
	c    concept
	t    topic
	lang langTag
}

// lexWord is what a single word means on its own (c may be 0 for a word
// known only inside phrases or only as a language signal).
type lexWord struct {
	c    concept
	t    topic
	lang langTag
}

// lexicon is immutable once built.
type lexicon struct {
	root  *lnode
	words map[string]lexWord // every word of every phrase: the vocabulary
}

func buildLexicon(entries []lexEntry, topics []topicEntry) *lexicon {
	lx := &lexicon{root: &lnode{}, words: make(map[string]lexWord)}
	for _, e := range entries {
		lx.addPhrases(e.phrases, lexWord{c: e.c, lang: e.lang})
	}
	for _, e := range topics {
		lx.addPhrases(e.phrases, lexWord{t: e.t, lang: e.lang})
	}
	return lx
}

func (lx *lexicon) addPhrases(phrases string, m lexWord) {
	for _, ph := range strings.Split(phrases, "|") {
		ws := phraseWords(ph)
		// "à" is kept apart from "a" when typed with its accent;
		// French users often drop it, so phrases exist both ways.
		lx.add(ws, m)
		if plain, changed := withoutAccentA(ws); changed && len(ws) > 1 {
			lx.add(plain, m)
		}
	}
}

func withoutAccentA(ws []string) ([]string, bool) {
	changed := false
	out := make([]string, len(ws))
	for i, w := range ws {
		if w == "à" {
			w, changed = "a", true
		}
		out[i] = w
	}
	return out, changed
}

func (lx *lexicon) add(ws []string, e lexWord) {
	if len(ws) == 0 {
		return
	}
	n := lx.root
	for _, w := range ws {
		if _, ok := lx.words[w]; !ok {
			lx.words[w] = lexWord{}
		}
		if n.next == nil {
			n.next = make(map[string]*lnode)
		}
		c := n.next[w]
		if c == nil {
			c = &lnode{}
			n.next[w] = c
		}
		n = c
	}
	// Concepts add up; the first language tag given to a phrase stays.
	if !n.term {
		n.lang = e.lang
	}
	n.term = true
	n.c |= e.c
	n.t |= e.t
	if len(ws) == 1 {
		lw := lx.words[ws[0]]
		lw.c |= e.c
		lw.t |= e.t
		if lw.lang == langNone {
			lw.lang = e.lang
		}
		lx.words[ws[0]] = lw
	}
}

// longest returns the longest phrase of the lexicon starting at token i
// and ending before limit, without crossing blocked tokens.
func (lx *lexicon) longest(toks []token, i, limit int, blocked []bool) (int, *lnode) {
	n := lx.root
	bestN, best := 0, (*lnode)(nil)
	for k := i; k < limit && k-i < maxPhraseTokens; k++ {
		if blocked[k] {
			break
		}
		c := n.next[toks[k].text]
		if c == nil {
			break
		}
		n = c
		if n.term {
			bestN, best = k-i+1, n
		}
	}
	return bestN, best
}
