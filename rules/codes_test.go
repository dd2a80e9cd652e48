package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var snakeCase = regexp.MustCompile(`^[a-z]+(_[a-z0-9]+)*$`)

func TestAllCodesUniqueAndSnakeCase(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range AllCodes() {
		if !snakeCase.MatchString(string(c)) {
			t.Errorf("code %q is not snake_case", c)
		}
		if seen[c] {
			t.Errorf("code %q listed twice", c)
		}
		seen[c] = true
	}
}

// TestAllCodesListsEveryConstant parses the package so that a Code
// constant added without being listed in AllCodes fails here, not in the
// bot's translation test.
func TestAllCodesListsEveryConstant(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok {
						declared[strings.Trim(lit.Value, `"`)] = true
					}
				}
			}
			return true
		})
	}
	listed := map[string]bool{}
	for _, c := range AllCodes() {
		listed[string(c)] = true
	}
	if len(declared) < 40 {
		t.Fatalf("parsed only %d code constants; the parser check is broken", len(declared))
	}
	for c := range declared {
		if !listed[c] {
			t.Errorf("code %q is declared but missing from AllCodes", c)
		}
	}
	for c := range listed {
		if !declared[c] {
			t.Errorf("AllCodes lists %q, which is not a declared constant", c)
		}
	}
}

func TestAllCodesIsACopy(t *testing.T) {
	a := AllCodes()
	a[0] = "changed"
	if AllCodes()[0] == "changed" {
		t.Fatal("AllCodes returns shared state")
	}
}

func TestDefaultPolicy(t *testing.T) {
	loc := paris(t)
	p := DefaultPolicy(loc)
	if p.Location != loc || p.RemovalWindow != 72*time.Hour || p.ApprovalLead != 12*time.Hour {
		t.Errorf("policy = %+v", p)
	}
	if p.MemberAddSeatsLimit != eur(50) {
		t.Errorf("limit = %s, want 50.00 EUR", p.MemberAddSeatsLimit)
	}
	if DefaultPolicy(nil).Location != time.UTC {
		t.Error("nil location should default to UTC")
	}
	if MicrosoftRemovalWindow != 7*24*time.Hour {
		t.Error("Microsoft's window is 7 days")
	}
}
