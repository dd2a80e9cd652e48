package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.50: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(lat, p); got != want {
			t.Errorf("p%.0f = %v, want %v", p*100, got, want)
		}
	}
	// Few values: the p99 of 3 is the largest, not an interpolation.
	if got := percentile([]time.Duration{1, 2, 3}, 0.99); got != 3 {
		t.Errorf("p99 of 3 values = %v", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSummaryCountsAndRate(t *testing.T) {
	r := newResult("serve")
	for _, d := range []time.Duration{3, 1, 2, 4} {
		r.ok(d * time.Millisecond)
	}
	r.add(&r.lost)
	r.add(&r.refused)
	r.add(&r.refused)
	r.add(&r.errors)
	r.elapsed = 2 * time.Second
	r.commands = 24
	s := r.summary()
	if s.turns != 4 || s.rate != 2 || s.max != 4*time.Millisecond || s.p50 != 2*time.Millisecond {
		t.Errorf("summary %+v", s)
	}
	if s.lost != 1 || s.refused != 2 || s.errors != 1 || s.commandsPerRun != 6 {
		t.Errorf("counts %+v", s)
	}
	var b bytes.Buffer
	c := newResult("ceiling")
	for range 16 {
		c.ok(time.Millisecond)
	}
	c.elapsed = 2 * time.Second
	report(&b, "run", r, c)
	if !strings.Contains(b.String(), "serve ÷ ceiling: 25.0 %") {
		t.Errorf("report lacks the ratio:\n%s", b.String())
	}
}

// Replies are paired with turns per conversation, oldest first; a
// reply nobody waits for is counted, and a forgotten turn takes none.
func TestTrackerPairsRepliesInOrder(t *testing.T) {
	tr := newTracker()
	a1, a2 := tr.expect("A"), tr.expect("A")
	b1 := tr.expect("B")
	tr.forget("B", b1)
	t0 := time.Unix(100, 0)
	tr.arrived("A", t0)
	tr.arrived("A", t0.Add(time.Second))
	tr.arrived("B", t0)
	for i, f := range []*flight{a1, a2} {
		select {
		case <-f.done:
		default:
			t.Fatalf("turn %d of A not answered", i+1)
		}
	}
	if !a1.at.Equal(t0) || !a2.at.Equal(t0.Add(time.Second)) {
		t.Errorf("replies paired out of order: %v %v", a1.at, a2.at)
	}
	if extra, late := tr.counts(); extra != 1 || late != 0 {
		t.Errorf("extra replies %d, late %d, want 1 and 0 (B's turn was forgotten)", extra, late)
	}
	// A turn counted lost keeps its place: its late reply is not taken
	// for the next turn's.
	c1, c2 := tr.expect("C"), tr.expect("C")
	tr.abandon(c1)
	tr.arrived("C", t0)
	tr.arrived("C", t0.Add(time.Second))
	if !c2.at.Equal(t0.Add(time.Second)) {
		t.Errorf("the next turn took the lost turn's reply: %v", c2.at)
	}
	if _, late := tr.counts(); late != 1 {
		t.Errorf("late replies %d, want 1", late)
	}
}

func TestProcCPU(t *testing.T) {
	// utime 150 and stime 50 ticks; the command name holds a space and a ")".
	stat := "4242 (licensebot (x)) S 1 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 9 0 100 0 0"
	if got := procCPU(stat); got != 2*time.Second {
		t.Fatalf("procCPU = %v, want 2s", got)
	}
	if got := procCPU("garbage"); got != -1 {
		t.Fatalf("procCPU(garbage) = %v, want -1", got)
	}
}

// Redis's processor time is read from INFO cpu; the budget line says
// when the generator and Redis leave serve less than it needs at a
// quarter of the ceiling's rate.
func TestProcessorTimeByParty(t *testing.T) {
	info := "# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\nused_cpu_sys_children:9.0\r\n"
	if got := infoCPU(info); got != 3750*time.Millisecond {
		t.Errorf("infoCPU = %v, want 3.75s", got)
	}
	if got := infoCPU("# CPU\r\nused_cpu_sys:x\r\n"); got != -1 {
		t.Errorf("infoCPU of a bad answer = %v, want -1", got)
	}
	// 20,000 turns/s ceiling on 2 cores: 25 % is 5,000/s, 0.4 ms a turn.
	ceil := summary{rate: 20000}
	serve := summary{cpuPerTurn: 300 * time.Microsecond, genPerTurn: 150 * time.Microsecond, redisPerTurn: 40 * time.Microsecond}
	line := budget(serve, ceil, 2)
	if !strings.Contains(line, "5000 turns/s") || !strings.Contains(line, "0.40 ms a turn") || !strings.Contains(line, "leaving 0.21 ms") || !strings.HasSuffix(line, "out of reach on this machine") {
		t.Errorf("budget line %q", line)
	}
	serve.genPerTurn = 50 * time.Microsecond
	if line := budget(serve, ceil, 2); !strings.HasSuffix(line, "within reach") {
		t.Errorf("budget line %q", line)
	}
	if line := budget(summary{cpuPerTurn: -1}, ceil, 2); line != "" {
		t.Errorf("budget without measurements: %q", line)
	}
}
