package intent

// The questions a member, a licence admin or an account manager asks
// about their licences, their requests and who decides — answered in a
// line or two by bot/questions.go rather than read into a change or the
// list-price catalog:
//
//	"how much do we pay per month in total?"   KindTotalCost
//	"when does my office subscription renew?"  KindWhen
//	"when does the trial end?"                 KindWhen (Question.Trial)
//	"when can I remove E3 seats?"              KindWhen (Question.Window)
//	"reject R-1"                               KindReject
//	"where is R-2?", "status of R-2"           KindRequestStatus
//	"what's my role?", "what is my limit?"     KindMyRole
//	"which customers do I look after?"         KindMyRole (account manager)

// Question kinds.
const (
	KindTotalCost     Kind = "total_cost"
	KindWhen          Kind = "when"
	KindReject        Kind = "reject"
	KindRequestStatus Kind = "request_status"
	KindMyRole        Kind = "my_role"
)

// isQuestion reports whether k is one of the question kinds above.
func (k Kind) isQuestion() bool {
	switch k {
	case KindTotalCost, KindWhen, KindReject, KindRequestStatus, KindMyRole:
		return true
	}
	return false
}

// Question is what a question named beyond its kind.
type Question struct {
	// Trial: the trial was named ("when does the trial end?", "turn off
	// auto-renew on the trial"), so the subscription meant is the
	// customer's trial even though no product was named.
	Trial bool
	// Window: the question is about the removal window ("when can I
	// remove seats?"), not the renewal.
	Window bool
}

// Topic bits 16–31: questions and answers.
const (
	tEnd       topic = 1 << (16 + iota) // "end", "finish", "se termine"
	tWindow                             // "removal window", "fenêtre de retrait"
	tReject                             // "reject", "refuse", "rejeter"
	tRole                               // "role", "rights", "rôle"
	tLimit                              // "limit", "without approval", "plafond"
	tWe                                 // "we", "our", "on", "nous": the customer as a whole
	tCustomers                          // "customers", "clients"
	tRenewWhen                          // "renew", "renouvelle" as a date question reads them
)

func questionTopicEntries() []topicEntry {
	return []topicEntry{
		{tEnd, langEN, "end|ends|ending|finish|finishes|over|expire|expires|run out|runs out|stop|stops|convert|converts|become paid|becomes paid"},
		{tEnd, langFR, "termine|se termine|terminera|se terminera|finit|finira|fin|s arrête|s arrete|expire|expirera|se finit|devient payant|devient payante|deviendra payant"},
		{tWindow, langEN, "window|removal window|cancellation window|cancel window"},
		{tWindow, langFR, "fenêtre|fenêtre de retrait|fenêtre d annulation|délai de rétractation"},
		{tReject, langEN, "reject|rejects|decline|deny|refuse|turn down"},
		{tReject, langFR, "rejeter|rejette|rejetez|refuser|refuse|refusez|décliner|décline"},
		{tRole, langEN, "role|roles|my role|my rights|rights|permissions|am i an admin|am i admin|am i a licence admin"},
		{tRole, langFR, "rôle|mon rôle|rôles|mes droits|droits|permissions|suis je admin|suis je administrateur|suis je administratrice"},
		{tLimit, langEN, "limit|my limit|limits|without approval|threshold|allowance|on my own"},
		{tLimit, langFR, "limite|ma limite|plafond|sans validation|sans approbation|seuil|sans accord|moi même"},
		{tWe, langEN, "we|our|us|ours"},
		{tWe, langFR, "on|nous|notre|nos"},
		{tCustomers, langEN, "customers|clients|my customers|my clients|accounts"},
		{tCustomers, langFR, "clients|mes clients|clientes"},
		{tRenewWhen, langEN, "renew|renews|renewed|renewal|renewal date|auto renew|auto renews"},
		{tRenewWhen, langFR, "renouvelle|renouvelé|renouvelée|renouvellement|se renouvelle|renouvellera|se renouvellera|date de renouvellement"},
	}
}

// questionChange: words that ask for a change; a question carrying one
// is a change asked as a question ("can you add 2 E3?").
const questionChange = cAdd | cMore | cRemove | cRetire | cReduce | cUpgrade | cMove | cAlign | cWithdraw | cSet | cKeep | cCancel

// asksTotalCost: "how much do we pay per month in total?", "combien on
// paie par mois ?", "what's our monthly bill?" — what the customer pays,
// from its subscriptions, not the catalog's list prices.
func (a *analysis) asksTotalCost() bool {
	if !a.about(tPay) || a.hasQty() || a.has(questionChange|cRenewal) {
		return false
	}
	return a.about(tMonthly|tTotal|tWe) && (a.question || a.has(cWhat|cPrice) || a.about(tTotal))
}

// asksWhen: "when does my office subscription renew?", "when does the
// trial end?", "quand se termine l'essai ?".
func (a *analysis) asksWhen() bool {
	if !a.about(tWhen) || a.hasQty() || a.has(questionChange&^(cCancel|cRemove|cRetire)) {
		return false
	}
	if a.asksWhenWindow() {
		return true
	}
	// "end" is also a cancel word ("end the subscription"); asked with
	// "when" it is the date.
	if a.has(cRemove | cRetire) {
		return false
	}
	if a.has(cCancel) {
		return a.about(tEnd)
	}
	return a.about(tEnd|tRenewWhen) || a.has(cEndTerm|cEndDate|cRenewal)
}

// asksWhenWindow: "when can I remove seats of E3?", "until when can we
// cancel?", "quand se ferme la fenêtre ?".
func (a *analysis) asksWhenWindow() bool {
	return a.about(tWindow) || (a.has(cCan) && a.has(cRemove|cRetire|cCancel|cReduce))
}

// rejectsRequest: "reject R-1", "refuse la demande 3", "reject it".
func (a *analysis) rejectsRequest() bool {
	return a.about(tReject) && a.offerCount() == 0 && !a.hasQty() && (a.requestID != "" || a.has(cRequest|cIt) || len(a.toks) == 1)
}

// asksRequestStatus: "where is R-2?", "status of R-2", "what happened to
// request 4?" — one request, named by its id, with no verb.
func (a *analysis) asksRequestStatus() bool {
	return a.requestID != "" && a.offerCount() == 0 && !a.hasQty() && !a.has(cAction|cNeed|cApproval)
}

// asksMyRole: "what's my role?", "am I an admin?", "what is my limit?",
// "how much can I add without approval?", "which customers do I look
// after?".
func (a *analysis) asksMyRole() bool {
	if a.offerCount() > 0 || a.hasQty() || a.has(cRemove|cUpgrade|cAlign|cCancel|cRenewal) {
		return false
	}
	if a.about(tLimit) {
		return true
	}
	if a.about(tCustomers) && a.has(cMy|cWhat|cWho) && !a.has(cAdd) {
		return true
	}
	// The role asked about is the writer's own ("my role", "am I"):
	// "which roles does ERP Cloud have?" is about delegated access.
	return a.about(tRole) && !a.has(cAdd|cMake) && !a.about(tAccess) &&
		a.hasWord("my", "mon", "ma", "mes", "i", "am", "je", "suis", "moi")
}

// fillQuestion records what a question named beyond its kind.
func (a *analysis) fillQuestion(in *Intent) {
	in.Question.Trial = a.has(cTrial)
	in.Question.Window = in.Kind == KindWhen && a.asksWhenWindow()
}

// Leftovers are the words of text that are neither vocabulary nor a
// product ("office" in "when does my office subscription renew?"): the
// caller may find them in the names of the customer's subscriptions.
func (p *Parser) Leftovers(text string) []string {
	a := p.analyse(text)
	var out []string
	for _, it := range a.items {
		if it.kind == itWord && len(a.toks[it.start].text) >= 3 {
			out = append(out, a.toks[it.start].text)
		}
	}
	return out
}
