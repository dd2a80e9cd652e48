package redis

import (
	"strings"
	"testing"

	"github.com/licensebot/licensebot/store"
)

// hashTag is the part of a key Redis Cluster hashes: the text between the
// first '{' and the next '}', if not empty; otherwise the whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// TestKeysShareSlot checks what miniredis and a single node cannot: the
// keys one script touches hash to one Cluster slot, whatever the names.
func TestKeysShareSlot(t *testing.T) {
	s := &Store{prefix: DefaultPrefix}
	names := []string{"", "_", "acme", "{acme}", "a}b{c", "}", "{", "a:b", "50%", "déjà vu"}
	tags := map[string]string{}
	for _, scope := range names {
		for _, name := range names {
			ref := store.Ref{Scope: scope, Collection: name, ID: name + "{x}"}
			keys := []string{
				s.docKey(ref),
				s.idxKey(scope, name),
				s.auditKey(scope),
				s.doneKey(scope, "TOKEN"),
			}
			keys = append(keys, s.schedKeys(scope, name)...)
			want := hashTag(keys[0])
			for _, k := range keys {
				if got := hashTag(k); got != want {
					t.Fatalf("scope %q name %q: key %q hashes on %q, want %q", scope, name, k, got, want)
				}
			}
			if other, seen := tags[want]; seen && other != scope {
				t.Fatalf("scopes %q and %q share hash tag %q", scope, other, want)
			}
			tags[want] = scope
		}
	}
}

func TestEscapeKeepsNamesApart(t *testing.T) {
	names := []string{"", "_", "%5F", "%", "%25", ":", "%3A", "{", "}", "a:b", "a%3Ab", "plain"}
	seen := map[string]string{}
	for _, n := range names {
		e := esc(n)
		if strings.ContainsAny(e, ":{}") {
			t.Errorf("esc(%q) = %q contains a separator or brace", n, e)
		}
		if prev, ok := seen[e]; ok {
			t.Errorf("esc(%q) = esc(%q) = %q", n, prev, e)
		}
		seen[e] = n
	}
}
