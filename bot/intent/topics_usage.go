package intent

// Topics of licence usage and delegated access (bits 40–47). tUsed and
// tAccess, in the shared range, carry the main words; these add what
// only these questions use.
const (
	// tSpare: seats nobody uses ("spare", "free", "libres").
	tSpare topic = 1 << (40 + iota)
	// tRoles: what an access grants ("roles", "permissions", "droits").
	tRoles
)

// usageTopicEntries is the vocabulary of the topics above.
func usageTopicEntries() []topicEntry {
	return []topicEntry{
		{tSpare, langEN, "spare|free|idle|left over|leftover|not assigned|not used|wasted"},
		{tSpare, langFR, "libre|libres|disponibles|inoccupées|inoccupés|non attribuées|non attribués|non utilisées|non utilisés|en trop|gaspillées"},
		{tRoles, langEN, "roles|role|permissions|rights|privileges"},
		{tRoles, langFR, "rôles|rôle|droits|permissions|privilèges"},
	}
}

// asksUsage: "how many E3 licences are used?", "combien de licences E1
// sont attribuées ?", "how many unused licences do we have?", "spare
// seats?". No change verb: "remove the unused E1 seats" is a removal.
func (a *analysis) asksUsage() bool {
	if a.has(cAction) || a.hasQty() {
		return false
	}
	return a.about(tUsed) || (a.about(tSpare) && a.has(cSeatNoun|cSubNoun))
}

// asksDelegatedAccess: "which admin access does ERP Cloud have?",
// "quels accès délégués a ERP Cloud ?", "GDAP roles".
// "which roles does the reseller have?" names no access word: roles
// asked about with a question word are about access too.
func (a *analysis) asksDelegatedAccess() bool {
	return !a.has(cAction) && (a.about(tAccess) || (a.about(tRoles) && a.has(cWhat)))
}
