package i18n

import "strconv"

// Arg is one named string of a message: what an entry of T's data map
// is, for the sentences rendered on every turn (a subscription list
// writes several per line) without building a map for each.
type Arg struct{ Name, Value string }

// Tf is T with data made of args: the same sentence as
// T(lang, id, map[string]any{Name: Value, …}), without the map when
// the message's form only prints fields.
func (t *Translator) Tf(lang, id string, args ...Arg) string {
	msgs, ok := t.msgs[lang]
	if !ok {
		msgs = t.msgs["en"]
	}
	// A message with plural forms counts an int Quantity, which args
	// never hold: T then renders the "other" form, as here.
	if e := msgs[id]; e != nil && e.other != nil {
		if s, ok := e.other.fillArgs(false, 0, args); ok && s != "" {
			return s
		}
	}
	if len(args) == 0 {
		return t.T(lang, id, nil)
	}
	return t.T(lang, id, argMap(args))
}

// Nf is N with data made of args: the same sentence as
// N(lang, id, count, map[string]any{Name: Value, …}), without the map
// when the chosen form only prints fields.
func (t *Translator) Nf(lang, id string, count int, args ...Arg) string {
	msgs, ok := t.msgs[lang]
	if !ok {
		lang, msgs = "en", t.msgs["en"]
	}
	if e := msgs[id]; e != nil {
		if c := e.form(lang, count); c != nil {
			if s, ok := c.fillArgs(true, count, args); ok && s != "" {
				return s
			}
		}
	}
	return t.N(lang, id, count, argMap(args))
}

// fillArgs is fill for args (and Count, when counted): false when the
// form needs text/template or a field args do not have.
func (c *compiled) fillArgs(counted bool, count int, args []Arg) (string, bool) {
	if c.tmpl == nil {
		return c.text, true
	}
	if c.pieces == nil {
		return "", false
	}
	n := 0
	for _, p := range c.pieces {
		n += len(p.text) + 8
	}
	b := make([]byte, 0, n)
pieces:
	for _, p := range c.pieces {
		if p.field == "" {
			b = append(b, p.text...)
			continue
		}
		// N's Count wins over a field of the same name, as N's data map
		// has it set last.
		if counted && p.field == "Count" {
			b = strconv.AppendInt(b, int64(count), 10)
			continue
		}
		for _, a := range args {
			if a.Name == p.field {
				b = append(b, a.Value...)
				continue pieces
			}
		}
		return "", false
	}
	return string(b), true
}

func argMap(args []Arg) map[string]any {
	if len(args) == 0 {
		return nil
	}
	m := make(map[string]any, len(args))
	for _, a := range args {
		m[a.Name] = a.Value
	}
	return m
}
