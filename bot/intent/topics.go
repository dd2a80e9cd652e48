package intent

// topic is a second bit set of what words mean, for the questions people
// ask about their licences (what is used, what it costs, when it ends).
// concept is full (64 bits); topics add meaning without touching the
// rules that read concepts. A word may carry both.
//
// Bits are reserved by area so features can grow without colliding:
// 0–15 shared questions, 16–31 questions and answers, 32–39 buying,
// 40–47 usage and right-sizing, 48–63 free.
type topic uint64

const (
	tUsed    topic = 1 << iota // "used", "assigned", "attribuées"
	tPay                       // "pay", "spend", "cost", "payer"
	tMonthly                   // "per month", "monthly", "par mois"
	tTotal                     // "in total", "au total"
	tWhen                      // "when", "quand"
	tAccess                    // "admin access", "GDAP", "accès délégué"
)

// Where the bot writes to a person (bits 48–49).
const (
	tSlack     topic = 1 << (48 + iota) // "Slack"
	tWriteToMe                          // "send my messages", "écris-moi", "I prefer"
)

type topicEntry struct {
	t       topic
	lang    langTag
	phrases string
}

// topicEntries is the vocabulary of topics; buildLexicon merges it with
// lexiconEntries.
func topicEntries() []topicEntry {
	return append(append(append(buyTopicEntries(), usageTopicEntries()...), []topicEntry{
		{tUsed, langEN, "used|in use|assigned|unassigned|consumed|usage|unused|utilised|utilized|allocated"},
		{tUsed, langFR, "utilisé|utilisée|utilisés|utilisées|attribué|attribuée|attribués|attribuées|consommé|consommées|consommés|utilisation|inutilisé|inutilisées|inutilisés|assigné|assignées|assignés|affecté|affectées|affectés"},
		{tPay, langEN, "pay|paying|spend|spending|cost|costs|bill|billed|charged"},
		{tPay, langFR, "payer|paie|paye|payons|payez|payé|coûte|coûtent|coût|dépense|dépensons|facture|facturé|facturés"},
		{tMonthly, langEN, "per month|a month|monthly|each month|every month"},
		{tMonthly, langFR, "par mois|mensuel|mensuelle|mensuellement|chaque mois"},
		{tTotal, langEN, "total|in total|altogether|overall"},
		{tTotal, langFR, "au total|en tout|total"},
		{tWhen, langEN, "when|what date|which date"},
		{tWhen, langFR, "quand|quelle date|à quelle date"},
		{tAccess, langEN, "gdap|admin access|delegated access|delegated admin|admin relationship|admin relationships|delegated"},
		{tSlack, langNone, "slack"},
		{tWriteToMe, langEN, "prefer|i prefer|send me|write to me|reach me|contact me|message me|send my messages|send my cards|send my notifications|my messages|my notifications|my cards"},
		{tWriteToMe, langFR, "préfère|je préfère|écris moi|écrivez moi|envoie moi|envoyez moi|contacte moi|contactez moi|mes messages|mes notifications|mes cartes|envoie mes messages|envoyez mes messages"},
		{tAccess, langFR, "accès admin|accès administrateur|accès délégué|accès délégués|administration déléguée|relation d administration|délégué|délégués"},
	}...), questionTopicEntries()...) // topics_usage.go, topics_questions.go
}

// choosesPlatform: "send my messages to Teams", "I prefer Slack",
// "écris-moi sur Teams". Only with words about writing to the person, so
// "add 2 Teams seats" stays a change.
func (a *analysis) choosesPlatform() bool {
	return a.about(tWriteToMe) && a.platformNamed() != "" && !a.hasQty() && !a.has(cAction)
}

// platformNamed is the chat platform the message names. "Teams" alone is
// also the Teams Essentials product, so it is read from the words, not
// from the product found there.
func (a *analysis) platformNamed() string {
	if a.about(tSlack) {
		return "slack"
	}
	for _, t := range a.toks {
		if t.text == "teams" {
			return "teams"
		}
	}
	return ""
}
