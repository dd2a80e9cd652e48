package intent

import (
	"strconv"
	"strings"
	"testing"
)

// tcase is one row of the table. Empty fields are not checked, except
// that offers are always checked (nil means "no product named").
type tcase struct {
	text string
	kind Kind
	// lang: "en", "fr", "-" for no signal, "" not checked.
	lang string
	// q: "" no quantity; "3" Quantity 3; "=8" Total 8 (no Quantity);
	// "!negative" an error.
	q string
	// offers: candidates of each product named, "|" separated, in order.
	offers []string
	// flags: space separated among all, into, new.
	flags string
	req   string
	// language asked for by KindLanguage.
	language string
}

func offers(s ...string) []string { return s }

var table = []tcase{
	// --- people and roles ---
	{text: "make Alice a licence admin", kind: KindMakeAdmin, lang: "en"},
	{text: "make bob@contoso.example an admin", kind: KindMakeAdmin, lang: "en"},
	{text: "fais de Alice une administratrice", kind: KindMakeAdmin, lang: "fr"},
	{text: "nomme Léa administratrice des licences", kind: KindMakeAdmin, lang: "fr"},
	{text: "who can use the bot?", kind: KindWhoCanUse, lang: "en"},
	{text: "who are our licence admins?", kind: KindWhoCanUse, lang: "en"},
	{text: "qui peut utiliser le bot ?", kind: KindWhoCanUse, lang: "fr"},
	{text: "who approves my requests?", kind: KindWhoApproves, lang: "en"},
	{text: "qui approuve mes demandes ?", kind: KindWhoApproves, lang: "fr"},
	{text: "who is my account manager?", kind: KindWhoAccountManager, lang: "en"},
	{text: "qui est mon chargé de clientèle ?", kind: KindWhoAccountManager, lang: "fr"},
	// "Teams" is also a product: it is read as one there too.
	{text: "send my messages to Teams", kind: KindChoosePlatform, lang: "en", offers: []string{"teams-essentials"}},
	{text: "I prefer Slack", kind: KindChoosePlatform, lang: "en"},
	{text: "écris-moi sur Teams", kind: KindChoosePlatform, lang: "fr", offers: []string{"teams-essentials"}},
	{text: "envoie mes messages sur Slack", kind: KindChoosePlatform, lang: "fr"},
	// Near misses keep their reading.
	{text: "add 2 Teams seats", kind: KindAddSeats, q: "2", offers: []string{"teams-essentials"}},
	{text: "show me Teams", kind: KindShow, offers: []string{"teams-essentials"}},
	{text: "my pending approvals", kind: KindPendingApprovals},
	{text: "what is waiting for my approval?", kind: KindPendingApprovals},
	// --- help ---
	{text: "help", kind: KindHelp, lang: "en"},
	{text: "aide", kind: KindHelp, lang: "fr"},
	{text: "what can you do", kind: KindHelp, lang: "en"},
	{text: "What can you do?", kind: KindHelp, lang: "en"},
	{text: "?", kind: KindHelp, lang: "-"},
	{text: "comment ça marche", kind: KindHelp, lang: "fr"},
	{text: "que peux-tu faire ?", kind: KindHelp, lang: "fr"},
	{text: "hi", kind: KindHelp, lang: "en"},
	{text: "bonjour", kind: KindHelp, lang: "fr"},

	// --- list ---
	{text: "my licences", kind: KindList, lang: "en"},
	{text: "my licenses", kind: KindList, lang: "en"},
	{text: "list subscriptions", kind: KindList, lang: "en"},
	{text: "show my subscriptions", kind: KindList, lang: "en"},
	{text: "what licences do we have", kind: KindList, lang: "en"},
	{text: "mes abonnements", kind: KindList, lang: "fr"},
	{text: "liste mes licences", kind: KindList, lang: "fr"},
	{text: "quelles licences avons-nous", kind: KindList, lang: "fr"},
	{text: "voir tout", kind: KindList, lang: "fr", flags: "all"},
	{text: "list", kind: KindList},

	// --- show ---
	{text: "show E3", kind: KindShow, lang: "en", offers: offers("o365-e3")},
	{text: "details of business standard", kind: KindShow, lang: "en", offers: offers("m365-business-standard")},
	{text: "détails de E1", kind: KindShow, lang: "fr", offers: offers("o365-e1")},
	{text: "how many E3 seats do we have", kind: KindShow, lang: "en", offers: offers("o365-e3")},
	{text: "combien de licences E3 ai-je ?", kind: KindShow, lang: "fr", offers: offers("o365-e3")},
	{text: "when does E3 renew?", kind: KindWhen, offers: offers("o365-e3")}, // a one-line answer (topics_questions.go)
	{text: "is auto-renew on for E3?", kind: KindShow, offers: offers("o365-e3")},
	{text: "what's the end date of E3", kind: KindShow, offers: offers("o365-e3")},
	{text: "E3", kind: KindShow, lang: "-", offers: offers("o365-e3")},
	// A quantity and a product without a verb answers "how many?" or
	// "which product?": never a command.
	{text: "2 E3", kind: KindShow, q: "2", offers: offers("o365-e3")},

	// --- add seats ---
	{text: "add 2 Business Standard seats", kind: KindAddSeats, lang: "en", q: "2", offers: offers("m365-business-standard")},
	{text: "ajoute 2 licences E3", kind: KindAddSeats, lang: "fr", q: "2", offers: offers("o365-e3")},
	{text: "I need 3 more E1 licences", kind: KindAddSeats, lang: "en", q: "3", offers: offers("o365-e1")},
	{text: "buy two seats of apps for business", kind: KindAddSeats, lang: "en", q: "2", offers: offers("m365-apps-business")},
	{text: "rajouter deux licences", kind: KindAddSeats, lang: "fr", q: "2"},
	{text: "+2 E3", kind: KindAddSeats, lang: "-", q: "2", offers: offers("o365-e3")},
	{text: "Can you add 2 more E3 licences for me please?", kind: KindAddSeats, lang: "en", q: "2", offers: offers("o365-e3")},
	{text: "je voudrais 3 licences business premium en plus", kind: KindAddSeats, lang: "fr", q: "3", offers: offers("m365-business-premium")},
	{text: "il me faut 2 postes E3 supplémentaires", kind: KindAddSeats, lang: "fr", q: "2", offers: offers("o365-e3")},
	{text: "on a besoin de 5 licences E5", kind: KindAddSeats, lang: "fr", q: "5", offers: offers("o365-e5")},
	{text: "est-ce que je peux ajouter 3 licences E3 ?", kind: KindAddSeats, lang: "fr", q: "3", offers: offers("o365-e3")},
	{text: "je demande 2 licences E3", kind: KindAddSeats, lang: "fr", q: "2", offers: offers("o365-e3")},
	{text: "add a seat to E3", kind: KindAddSeats, q: "1", offers: offers("o365-e3")},
	{text: "add an E3 licence", kind: KindAddSeats, q: "1", offers: offers("o365-e3")},
	{text: "ajoute une licence E3", kind: KindAddSeats, lang: "fr", q: "1", offers: offers("o365-e3")},
	{text: "add one more E3", kind: KindAddSeats, q: "1", offers: offers("o365-e3")},
	{text: "ajoutez 3 licences affaires standard", kind: KindAddSeats, lang: "fr", q: "3", offers: offers("m365-business-standard")},
	{text: "ajoute 2 licences teams essentiels", kind: KindAddSeats, lang: "fr", q: "2", offers: offers("teams-essentials")},
	{text: "ajoute 2 licences microsoft 365 business standard", kind: KindAddSeats, q: "2", offers: offers("m365-business-standard")},
	{text: "ADD 2 E3!!!", kind: KindAddSeats, lang: "en", q: "2", offers: offers("o365-e3")},
	{text: "AJOUTE 2 LICENCES E3", kind: KindAddSeats, lang: "fr", q: "2", offers: offers("o365-e3")},
	{text: "increase E3 to 12 seats", kind: KindAddSeats, q: "=12", offers: offers("o365-e3")},
	{text: "set E3 to 12", kind: KindAddSeats, q: "=12", offers: offers("o365-e3")},
	{text: "passer de 8 à 10 licences E3", kind: KindAddSeats, lang: "fr", q: "=10", offers: offers("o365-e3")},
	{text: "add 3 E3 as a new subscription", kind: KindAddSeats, q: "3", flags: "new", offers: offers("o365-e3")},
	{text: "add 1 E3 and remove 2 E1", kind: KindAddSeats, q: "1", offers: offers("o365-e3", "o365-e1")},

	// --- buy a new subscription (topics_buy.go) ---
	{text: "buy 5 Office 365 E5", kind: KindPurchase, lang: "en", q: "5", offers: offers("o365-e5")},
	{text: "I want to buy 5 E5 licences", kind: KindPurchase, lang: "en", q: "5", offers: offers("o365-e5")},
	{text: "order 10 Power BI Pro", kind: KindPurchase, lang: "en", q: "10"},
	{text: "new subscription of E5", kind: KindPurchase, lang: "en", flags: "new", offers: offers("o365-e5")},
	{text: "I need a new Visio Plan 2 subscription", kind: KindPurchase, lang: "en", flags: "new"},
	{text: "je voudrais 3 licences Visio Plan 2", kind: KindPurchase, lang: "fr", q: "3"},
	{text: "commander 4 licences E5", kind: KindPurchase, lang: "fr", q: "4", offers: offers("o365-e5")},
	{text: "acheter 2 licences Office 365 E5", kind: KindPurchase, lang: "fr", q: "2", offers: offers("o365-e5")},
	{text: "je voudrais un nouvel abonnement Exchange Online Plan 2", kind: KindPurchase, lang: "fr", flags: "new", offers: offers("exchange-p2")},
	// …but seats of a line held stay seat additions.
	{text: "buy 2 more E3 licences", kind: KindAddSeats, lang: "en", q: "2", offers: offers("o365-e3")},
	{text: "order 2 E3 seats", kind: KindAddSeats, lang: "en", q: "2", offers: offers("o365-e3")},

	// --- remove seats ---
	{text: "remove 3 seats from business standard", kind: KindRemoveSeats, lang: "en", q: "3", offers: offers("m365-business-standard")},
	{text: "enlève 2 licences E1", kind: KindRemoveSeats, lang: "fr", q: "2", offers: offers("o365-e1")},
	{text: "supprimer 2 licences", kind: KindRemoveSeats, lang: "fr", q: "2"},
	{text: "reduce business standard by 2", kind: KindRemoveSeats, lang: "en", q: "2", offers: offers("m365-business-standard")},
	{text: "reduce E3 to 8", kind: KindRemoveSeats, q: "=8", offers: offers("o365-e3")},
	{text: "passer de 10 a 8 licences E3", kind: KindRemoveSeats, lang: "fr", q: "=8", offers: offers("o365-e3")},
	{text: "Could you please remove 2 E1?", kind: KindRemoveSeats, lang: "en", q: "2", offers: offers("o365-e1")},
	{text: "pourrais-tu enlever 4 licences teams", kind: KindRemoveSeats, lang: "fr", q: "4", offers: offers("teams-essentials")},
	{text: "retirer 2 licences E3", kind: KindRemoveSeats, lang: "fr", q: "2", offers: offers("o365-e3")},
	{text: "remove all E1", kind: KindRemoveSeats, flags: "all", offers: offers("o365-e1")},
	{text: "enlever toutes les licences E1", kind: KindRemoveSeats, lang: "fr", flags: "all", offers: offers("o365-e1")},
	{text: "cancel 2 seats of E3", kind: KindRemoveSeats, q: "2", offers: offers("o365-e3")},
	{text: "remove 2 E1 and add 1 E3", kind: KindRemoveSeats, q: "2", offers: offers("o365-e1", "o365-e3")},

	// --- renewal quantity ---
	{text: "reduce the renewal of Apps for business to 3", kind: KindSetRenewalQuantity, lang: "en", q: "3", offers: offers("m365-apps-business")},
	{text: "renew only 6 exchange", kind: KindSetRenewalQuantity, lang: "en", q: "6", offers: offers("exchange-p1|exchange-p2")},
	{text: "set renewal quantity of E1 to 20", kind: KindSetRenewalQuantity, lang: "en", q: "20", offers: offers("o365-e1")},
	{text: "planifier le renouvellement de E1 à 20", kind: KindSetRenewalQuantity, lang: "fr", q: "20", offers: offers("o365-e1")},
	{text: "planifier le renouvellement de E1 a 20", kind: KindSetRenewalQuantity, lang: "fr", q: "20", offers: offers("o365-e1")},
	{text: "renouveler seulement 6 licences exchange", kind: KindSetRenewalQuantity, lang: "fr", q: "6", offers: offers("exchange-p1|exchange-p2")},
	{text: "at renewal keep 5 seats", kind: KindSetRenewalQuantity, lang: "en", q: "5", flags: "abs"},
	{text: "ne renouveler que 6 licences E3", kind: KindSetRenewalQuantity, lang: "fr", q: "6", offers: offers("o365-e3")},
	{text: "renouveler 10 licences E3 à l'échéance", kind: KindSetRenewalQuantity, lang: "fr", q: "10", offers: offers("o365-e3")},
	{text: "reduce the renewal of E3 from 10 to 8", kind: KindSetRenewalQuantity, q: "8", offers: offers("o365-e3")},
	{text: "set the renewal of E3 to 0", kind: KindSetRenewalQuantity, q: "!zero", offers: offers("o365-e3")},

	// --- auto-renew off / on ---
	{text: "turn off auto-renew on the trial", kind: KindAutoRenewOff, lang: "en"},
	{text: "don't renew teams", kind: KindAutoRenewOff, lang: "en", offers: offers("teams-essentials")},
	{text: "do not renew Teams", kind: KindAutoRenewOff, lang: "en", offers: offers("teams-essentials")},
	{text: "stop the renewal", kind: KindAutoRenewOff, lang: "en"},
	{text: "désactive le renouvellement automatique", kind: KindAutoRenewOff, lang: "fr"},
	{text: "ne pas renouveler", kind: KindAutoRenewOff, lang: "fr"},
	{text: "ne plus renouveler teams", kind: KindAutoRenewOff, lang: "fr", offers: offers("teams-essentials")},
	{text: "cancel at the end of the term", kind: KindAutoRenewOff, lang: "en"},
	{text: "résilier à échéance", kind: KindAutoRenewOff, lang: "fr"},
	{text: "resilier a echeance", kind: KindAutoRenewOff, lang: "fr"},
	{text: "disable auto renew for teams", kind: KindAutoRenewOff, lang: "en", offers: offers("teams-essentials")},
	{text: "untick auto-renew on the Teams trial", kind: KindAutoRenewOff, lang: "en", offers: offers("teams-essentials")},
	{text: "cancel the trial", kind: KindAutoRenewOff, lang: "en"},
	{text: "don't let the trial convert", kind: KindAutoRenewOff, lang: "en"},
	{text: "let E3 expire", kind: KindAutoRenewOff, offers: offers("o365-e3")},
	{text: "je n'en veux plus de teams", kind: KindAutoRenewOff, lang: "fr", offers: offers("teams-essentials")},
	{text: "arrête teams", kind: KindAutoRenewOff, lang: "fr", offers: offers("teams-essentials")},
	{text: "turn auto-renew back on", kind: KindAutoRenewOn, lang: "en"},
	{text: "réactiver le renouvellement automatique", kind: KindAutoRenewOn, lang: "fr"},
	{text: "turn auto-renew on for E3", kind: KindAutoRenewOn, lang: "en", offers: offers("o365-e3")},
	{text: "enable auto renewal on E3", kind: KindAutoRenewOn, lang: "en", offers: offers("o365-e3")},
	{text: "remettre le renouvellement automatique sur E3", kind: KindAutoRenewOn, lang: "fr", offers: offers("o365-e3")},

	// --- cancel now ---
	{text: "cancel business standard", kind: KindCancel, lang: "en", offers: offers("m365-business-standard")},
	{text: "cancel the subscription", kind: KindCancel, lang: "en"},
	{text: "annuler l'abonnement business standard", kind: KindCancel, lang: "fr", offers: offers("m365-business-standard")},
	{text: "résilier E1 maintenant", kind: KindCancel, lang: "fr", offers: offers("o365-e1")},
	{text: "delete the E3 subscription", kind: KindCancel, lang: "en", offers: offers("o365-e3")},
	{text: "supprimer l'abonnement E3", kind: KindCancel, lang: "fr", offers: offers("o365-e3")},
	{text: "cancel the trial now", kind: KindCancel, lang: "en"},
	{text: "stop teams now", kind: KindCancel, offers: offers("teams-essentials")},
	{text: "I want to cancel", kind: KindCancel, lang: "en"},

	// --- upgrade ---
	{text: "upgrade 5 E1 to E3", kind: KindUpgrade, lang: "en", q: "5", offers: offers("o365-e1", "o365-e3")},
	{text: "upgrade all E1 to E3 into the existing line", kind: KindUpgrade, lang: "en", flags: "all into", offers: offers("o365-e1", "o365-e3")},
	{text: "move 5 seats from E1 to E3 as a new line", kind: KindUpgrade, lang: "en", q: "5", flags: "new", offers: offers("o365-e1", "o365-e3")},
	{text: "passer 5 E1 en E3", kind: KindUpgrade, lang: "fr", q: "5", offers: offers("o365-e1", "o365-e3")},
	{text: "migrer toutes les licences E1 vers E3 dans la ligne existante", kind: KindUpgrade, lang: "fr", flags: "all into", offers: offers("o365-e1", "o365-e3")},
	{text: "mettre à niveau", kind: KindUpgrade, lang: "fr"},
	{text: "mettre a niveau E1", kind: KindUpgrade, lang: "fr", offers: offers("o365-e1")},
	{text: "upgrade to E3 from E1", kind: KindUpgrade, lang: "en", offers: offers("o365-e1", "o365-e3")},
	{text: "switch our E1 users to E3", kind: KindUpgrade, lang: "en", offers: offers("o365-e1", "o365-e3")},
	{text: "E1 -> E3", kind: KindUpgrade, offers: offers("o365-e1", "o365-e3")},
	{text: "E1 → E3 x5", kind: KindUpgrade, q: "5", offers: offers("o365-e1", "o365-e3")},
	{text: "passer de E1 a E3", kind: KindUpgrade, lang: "fr", offers: offers("o365-e1", "o365-e3")},
	{text: "fais passer 3 E1 en E3 sur une nouvelle ligne", kind: KindUpgrade, lang: "fr", q: "3", flags: "new", offers: offers("o365-e1", "o365-e3")},
	{text: "convert 3 E1 to E3 and merge into the existing E3 subscription", kind: KindUpgrade, q: "3", flags: "into", offers: offers("o365-e1", "o365-e3", "o365-e3")},
	{text: "monter en gamme de business standard vers business premium", kind: KindUpgrade, lang: "fr", offers: offers("m365-business-standard", "m365-business-premium")},
	{text: "upgrade 3 users from business basic to business standard", kind: KindUpgrade, q: "3", offers: offers("m365-business-basic", "m365-business-standard")},

	// --- align end date ---
	{text: "align the end date of Exchange with E3", kind: KindAlignEndDate, lang: "en", offers: offers("exchange-p1|exchange-p2", "o365-e3")},
	{text: "aligner la date de fin de exchange sur E3", kind: KindAlignEndDate, lang: "fr", offers: offers("exchange-p1|exchange-p2", "o365-e3")},
	{text: "co-term", kind: KindAlignEndDate},
	{text: "co-term exchange with E3", kind: KindAlignEndDate, offers: offers("exchange-p1|exchange-p2", "o365-e3")},
	{text: "give exchange the same end date as E3", kind: KindAlignEndDate, offers: offers("exchange-p1|exchange-p2", "o365-e3")},
	{text: "aligne la date de fin de teams sur celle de E3", kind: KindAlignEndDate, lang: "fr", offers: offers("teams-essentials", "o365-e3")},

	// --- catalog ---
	{text: "what can we buy", kind: KindCatalog, lang: "en"},
	{text: "catalog", kind: KindCatalog, lang: "en"},
	{text: "catalogue", kind: KindCatalog},
	{text: "prices", kind: KindCatalog, lang: "en"},
	{text: "price of E5", kind: KindCatalog, lang: "en", offers: offers("o365-e5")},
	{text: "how much is E5", kind: KindCatalog, lang: "en", offers: offers("o365-e5")},
	{text: "quels sont les prix", kind: KindCatalog, lang: "fr"},
	{text: "combien coûte business premium", kind: KindCatalog, lang: "fr", offers: offers("m365-business-premium")},
	{text: "quels produits proposez-vous", kind: KindCatalog, lang: "fr"},

	// --- requests and approvals ---
	{text: "my requests", kind: KindMyRequests, lang: "en"},
	{text: "mes demandes", kind: KindMyRequests, lang: "fr"},
	{text: "status of my request", kind: KindMyRequests, lang: "en"},
	// One request named by id: that request (topics_questions.go).
	{text: "show R-12", kind: KindRequestStatus, req: "R-12"},
	{text: "what's the status of req-7", kind: KindRequestStatus, req: "R-7"},
	{text: "statut de la demande #9", kind: KindRequestStatus, lang: "fr", req: "R-9"},
	{text: "pending approvals", kind: KindPendingApprovals, lang: "en"},
	{text: "what do I need to approve", kind: KindPendingApprovals, lang: "en"},
	{text: "approbations en attente", kind: KindPendingApprovals, lang: "fr"},
	{text: "demandes à valider", kind: KindPendingApprovals, lang: "fr"},
	{text: "anything pending?", kind: KindPendingApprovals},
	{text: "withdraw my request", kind: KindWithdraw, lang: "en"},
	{text: "withdraw R-12", kind: KindWithdraw, req: "R-12"},
	{text: "retire ma demande", kind: KindWithdraw, lang: "fr"},
	{text: "annule ma demande R-3", kind: KindWithdraw, lang: "fr", req: "R-3"},
	{text: "annuler ma demande", kind: KindWithdraw, lang: "fr"},
	{text: "cancel R-5", kind: KindWithdraw, req: "R-5"},
	{text: "cancel request 12", kind: KindWithdraw, req: "R-12"},
	{text: "withdraw request #12", kind: KindWithdraw, req: "R-12"},
	{text: "withdraw r12", kind: KindWithdraw, req: "R-12"},
	{text: "withdraw REQ-0012", kind: KindWithdraw, req: "R-12"},

	// --- language ---
	{text: "speak French", kind: KindLanguage, language: "fr"},
	{text: "in English please", kind: KindLanguage, language: "en"},
	{text: "parle anglais", kind: KindLanguage, language: "en"},
	{text: "en français", kind: KindLanguage, language: "fr"},
	{text: "switch to English", kind: KindLanguage, language: "en"},
	{text: "réponds en anglais", kind: KindLanguage, language: "en"},
	{text: "lang fr", kind: KindLanguage, language: "fr"},

	// --- abort ---
	{text: "cancel", kind: KindAbort},
	{text: "Cancel.", kind: KindAbort},
	{text: "annule", kind: KindAbort},
	{text: "annuler", kind: KindAbort},
	{text: "stop", kind: KindAbort},
	{text: "STOP", kind: KindAbort},
	{text: "abort", kind: KindAbort},
	{text: "never mind", kind: KindAbort},
	{text: "laisse tomber", kind: KindAbort, lang: "fr"},
	{text: "forget it", kind: KindAbort, lang: "en"},
	{text: "oublie ça", kind: KindAbort, lang: "fr"},
	{text: "annule tout", kind: KindAbort, flags: "all"},
	{text: "no, cancel", kind: KindAbort},

	// --- yes / no ---
	{text: "yes", kind: KindYes, lang: "en"},
	{text: "ok", kind: KindYes, lang: "-"},
	{text: "OK!", kind: KindYes},
	{text: "confirm", kind: KindYes},
	{text: "oui", kind: KindYes, lang: "fr"},
	{text: "d'accord", kind: KindYes, lang: "fr"},
	{text: "d’accord", kind: KindYes, lang: "fr"},
	{text: "vas-y", kind: KindYes, lang: "fr"},
	{text: "oui vas-y", kind: KindYes, lang: "fr"},
	{text: "ok go ahead", kind: KindYes},
	{text: "yes, cancel it", kind: KindYes},
	{text: "y", kind: KindYes, lang: "-"},
	{text: "no", kind: KindNo, lang: "en"},
	{text: "non", kind: KindNo, lang: "fr"},
	{text: "non merci", kind: KindNo, lang: "fr"},
	{text: "nope", kind: KindNo},
	{text: "n", kind: KindNo, lang: "-"},

	// --- merge slot answers (not commands) ---
	{text: "the existing one", kind: KindUnknown, flags: "into"},
	{text: "a new one", kind: KindUnknown, flags: "new"},
	{text: "nouvelle ligne", kind: KindUnknown, flags: "new"},
	{text: "dans la ligne existante", kind: KindUnknown, flags: "into"},
	{text: "merge", kind: KindUnknown, flags: "into"},
	{text: "upgrade 2 E1 to E3 quand même", kind: KindUpgrade, q: "2", offers: offers("o365-e1", "o365-e3")},
	{text: "add 2 new E3 seats", kind: KindAddSeats, q: "2", offers: offers("o365-e3")},

	// --- quantity slot answers ---
	{text: "3", kind: KindUnknown, q: "3"},
	{text: "3 licences", kind: KindUnknown, q: "3"},
	{text: "all of them", kind: KindUnknown, flags: "all"},
	{text: "toutes", kind: KindUnknown, flags: "all"},
	{text: "douze", kind: KindUnknown, q: "12"},

	// --- unknown ---
	{text: "what's the weather like", kind: KindUnknown},
	{text: "thanks", kind: KindUnknown},
	{text: "", kind: KindUnknown, lang: "-"},
	{text: "   \t\n ", kind: KindUnknown, lang: "-"},
}

// check compares one parse with a table row.
func check(t *testing.T, p *Parser, c tcase) {
	t.Helper()
	in := p.Parse(c.text)
	if in.Kind != c.kind {
		t.Errorf("%q: kind %q, want %q", c.text, in.Kind, c.kind)
	}
	switch c.lang {
	case "":
	case "-":
		if in.Lang != "" {
			t.Errorf("%q: lang %q, want none", c.text, in.Lang)
		}
	default:
		if in.Lang != c.lang {
			t.Errorf("%q: lang %q, want %q", c.text, in.Lang, c.lang)
		}
	}
	if !strings.HasPrefix(c.q, "=") && in.Total != 0 {
		t.Errorf("%q: total %d, want none", c.text, in.Total)
	}
	switch {
	case c.q == "":
		if in.HasQuantity {
			t.Errorf("%q: quantity %d (err %q), want none", c.text, in.Quantity, in.QuantityError)
		}
	case strings.HasPrefix(c.q, "="):
		want, _ := strconv.Atoi(c.q[1:])
		if in.HasQuantity || in.Quantity != 0 || in.Total != want {
			t.Errorf("%q: quantity %d/%v total %d, want total %d", c.text, in.Quantity, in.HasQuantity, in.Total, want)
		}
	case strings.HasPrefix(c.q, "!"):
		if !in.HasQuantity || in.QuantityError != c.q[1:] || in.Quantity != 0 {
			t.Errorf("%q: quantity %d/%v err %q, want error %q", c.text, in.Quantity, in.HasQuantity, in.QuantityError, c.q[1:])
		}
	default:
		want, _ := strconv.Atoi(c.q)
		if !in.HasQuantity || in.Quantity != want || in.QuantityError != "" {
			t.Errorf("%q: quantity %d/%v err %q, want %d", c.text, in.Quantity, in.HasQuantity, in.QuantityError, want)
		}
	}
	var got []string
	for _, o := range in.Offers {
		got = append(got, strings.Join(o.Candidates, "|"))
	}
	if strings.Join(got, ", ") != strings.Join(c.offers, ", ") {
		t.Errorf("%q: offers %q, want %q", c.text, got, c.offers)
	}
	flags := map[string]bool{}
	for _, f := range strings.Fields(c.flags) {
		flags[f] = true
	}
	if in.All != flags["all"] {
		t.Errorf("%q: All %v", c.text, in.All)
	}
	if in.IntoExisting != flags["into"] {
		t.Errorf("%q: IntoExisting %v", c.text, in.IntoExisting)
	}
	if in.NewLine != flags["new"] {
		t.Errorf("%q: NewLine %v", c.text, in.NewLine)
	}
	if in.RequestID != c.req {
		t.Errorf("%q: RequestID %q, want %q", c.text, in.RequestID, c.req)
	}
	if in.Language != c.language {
		t.Errorf("%q: Language %q, want %q", c.text, in.Language, c.language)
	}
}

func TestParseTable(t *testing.T) {
	p := NewParser(testCatalog(t))
	if len(table) < 80 {
		t.Fatalf("table has %d cases", len(table))
	}
	for _, c := range table {
		check(t, p, c)
	}
}

// TestParseConcurrent runs the table from many goroutines: Parse must be
// safe for concurrent use (run with -race).
func TestParseConcurrent(t *testing.T) {
	p := NewParser(testCatalog(t))
	done := make(chan struct{})
	for g := 0; g < 8; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, c := range table {
				if got := p.Parse(c.text); got.Kind != c.kind {
					t.Errorf("%q: kind %q, want %q", c.text, got.Kind, c.kind)
				}
			}
		}()
	}
	for g := 0; g < 8; g++ {
		<-done
	}
}

func TestRoles(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct {
		text  string
		roles string
	}{
		{"upgrade 5 E1 to E3", "source target"},
		{"upgrade to E3 from E1", "source target"},
		{"upgrade to business premium", "target"},
		{"upgrade E1", "source"},
		{"align the end date of Exchange with E3", "subject reference"},
		{"align E3", "subject"},
	} {
		in := p.Parse(c.text)
		var got []string
		for _, o := range in.Offers {
			got = append(got, o.Role)
		}
		if strings.Join(got, " ") != c.roles {
			t.Errorf("%q: roles %q, want %q", c.text, got, c.roles)
		}
	}
}

func TestRenewalDelta(t *testing.T) {
	p := NewParser(testCatalog(t))
	for _, c := range []struct {
		text  string
		delta int
	}{
		{"reduce the renewal by 2", -2},
		{"diminuer le renouvellement de E1 de 2", -2},
		{"remove 3 seats from E3 at renewal", -3},
		{"add 2 seats at the next renewal", 2},
	} {
		in := p.Parse(c.text)
		if in.Kind != KindSetRenewalQuantity || in.Delta != c.delta || in.HasQuantity || in.Quantity != 0 {
			t.Errorf("%q: %s delta %d quantity %d/%v, want set_renewal_quantity delta %d without quantity",
				c.text, in.Kind, in.Delta, in.Quantity, in.HasQuantity, c.delta)
		}
	}
}

func TestKindValid(t *testing.T) {
	for _, c := range table {
		if !c.kind.Valid() {
			t.Errorf("%q: kind %q is not valid", c.text, c.kind)
		}
	}
	if Kind("dance").Valid() {
		t.Error("unknown kind reported valid")
	}
}
