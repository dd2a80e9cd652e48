package console

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseScriptReportsEveryBadLine(t *testing.T) {
	_, err := ParseScript(strings.NewReader(`# a comment
@now tomorrow
alice@contoso.example: hello
#fails
not a line
#expect alice@contoso.example
#quantity sub-1
@later
`))
	var es ScriptErrors
	if !errors.As(err, &es) {
		t.Fatalf("want ScriptErrors, got %v", err)
	}
	var lines []int
	for _, e := range es {
		lines = append(lines, e.Line)
	}
	want := []int{2, 5, 6, 7, 8}
	if len(lines) != len(want) {
		t.Fatalf("bad lines %v, want %v (%v)", lines, want, err)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("bad lines %v, want %v (%v)", lines, want, err)
		}
	}
	if !strings.Contains(err.Error(), "nothing was done") {
		t.Errorf("error does not say nothing ran: %v", err)
	}
}

func TestFailsMustFollowAStep(t *testing.T) {
	_, err := ParseScript(strings.NewReader("@now +1d\n#fails\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2: #fails must follow") {
		t.Fatalf("got %v", err)
	}
}

func TestScriptStartIsTheFirstAbsoluteNow(t *testing.T) {
	s, err := ParseScript(strings.NewReader("# x\n@now 2026-11-26T10:00:00+01:00\n@now +30d\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC); !s.Start().Equal(want) {
		t.Errorf("start %v, want %v", s.Start(), want)
	}
	s, err = ParseScript(strings.NewReader("@now +2h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Start().IsZero() {
		t.Errorf("a relative first @now fixes no start: %v", s.Start())
	}
}

func TestWhenReadsRelativeAndLocalTimes(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 10, 20, 9, 0, 0, 0, paris)
	for arg, want := range map[string]time.Time{
		"+30d":                      time.Date(2026, 11, 19, 9, 0, 0, 0, paris), // across the clock change, same wall time
		"+1w":                       time.Date(2026, 10, 27, 9, 0, 0, 0, paris),
		"+1d12h":                    time.Date(2026, 10, 21, 21, 0, 0, 0, paris),
		"+90m":                      time.Date(2026, 10, 20, 10, 30, 0, 0, paris),
		"2026-12-27T09:00":          time.Date(2026, 12, 27, 9, 0, 0, 0, paris),
		"2026-12-27":                time.Date(2026, 12, 27, 0, 0, 0, 0, paris),
		"2026-12-27T09:00:00+00:00": time.Date(2026, 12, 27, 9, 0, 0, 0, time.UTC),
	} {
		got, err := when(arg, now, paris)
		if err != nil || !got.Equal(want) {
			t.Errorf("when(%q) = %v, %v; want %v", arg, got, err, want)
		}
	}
	for _, bad := range []string{"-3d", "+", "+3x", "tomorrow", "+d"} {
		if _, err := when(bad, now, paris); err == nil {
			t.Errorf("when(%q) accepted", bad)
		}
	}
}

func TestShowTimeNamesTheZone(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	got := ShowTime(time.Date(2026, 12, 27, 8, 0, 0, 0, time.UTC), paris)
	if got != "Sun 27 Dec 2026, 09:00 CET (Europe/Paris)" {
		t.Errorf("ShowTime = %q", got)
	}
}
