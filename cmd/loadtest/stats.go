package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"
)

// result is what one run against one target measured.
type result struct {
	name string

	mu       sync.Mutex
	lat      []time.Duration // one per answered turn
	errors   int             // transport errors and statuses other than 200 and 503
	refused  int             // 503: the queue was full (the platform would retry)
	lost     int             // accepted (200) but no reply within the timeout
	elapsed  time.Duration
	commands int64         // Redis commands during the run (-1: not measured)
	cpu      time.Duration // serve's processor time during the run (-1: not measured)
	// redisCPU is the Redis server's processor time during the run,
	// genCPU the load generator's own (with the fakes or the ceiling
	// handler it runs): -1 when not measured.
	redisCPU, genCPU time.Duration
}

func newResult(name string) *result {
	return &result{name: name, commands: -1, cpu: -1, redisCPU: -1, genCPU: -1}
}

func (r *result) ok(d time.Duration) {
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

func (r *result) add(field *int) {
	r.mu.Lock()
	*field++
	r.mu.Unlock()
}

// summary is a result reduced to the figures printed.
type summary struct {
	turns          int
	rate           float64 // answered turns per second
	p50, p99, max  time.Duration
	errors, lost   int
	refused        int
	commandsPerRun float64       // Redis commands per answered turn (-1: not measured)
	cpuPerTurn     time.Duration // serve's processor time per answered turn (-1: not measured)
	redisPerTurn   time.Duration // Redis's (-1: not measured)
	genPerTurn     time.Duration // the load generator's, fakes included (-1: not measured)
}

func (r *result) summary() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := summary{turns: len(r.lat), errors: r.errors, refused: r.refused, lost: r.lost, commandsPerRun: -1,
		cpuPerTurn: perTurn(r.cpu, len(r.lat)), redisPerTurn: perTurn(r.redisCPU, len(r.lat)), genPerTurn: perTurn(r.genCPU, len(r.lat))}
	sorted := slices.Clone(r.lat)
	slices.Sort(sorted)
	s.p50, s.p99 = percentile(sorted, 0.50), percentile(sorted, 0.99)
	if len(sorted) > 0 {
		s.max = sorted[len(sorted)-1]
	}
	if r.elapsed > 0 {
		s.rate = float64(len(r.lat)) / r.elapsed.Seconds()
	}
	if r.commands >= 0 && len(r.lat) > 0 {
		s.commandsPerRun = float64(r.commands) / float64(len(r.lat))
	}
	return s
}

// perTurn divides a processor time among n turns; -1 when unmeasured.
func perTurn(d time.Duration, n int) time.Duration {
	if d < 0 || n == 0 {
		return -1
	}
	return d / time.Duration(n)
}

// percentile is the nearest-rank percentile of sorted durations: the
// smallest value with at least p of the values at or below it (0 for
// none).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6) }

// report prints the results side by side, then how the first compares
// with the last (the ceiling), and whether the machine's processors
// could run a quarter of the ceiling's rate at all, given what the
// generator and Redis themselves take per turn.
func report(w io.Writer, title string, results ...*result) {
	fmt.Fprintln(w, title)
	fmt.Fprintf(w, "%-10s %8s %10s %10s %10s %10s %7s %8s %6s %14s %12s %12s %12s\n",
		"target", "turns", "turns/s", "p50", "p99", "max", "errors", "refused", "lost", "redis cmd/turn", "cpu/turn", "redis cpu", "gen cpu")
	var sums []summary
	for _, r := range results {
		s := r.summary()
		sums = append(sums, s)
		cmds := "-"
		if s.commandsPerRun >= 0 {
			cmds = fmt.Sprintf("%.1f", s.commandsPerRun)
		}
		fmt.Fprintf(w, "%-10s %8d %10.0f %10s %10s %10s %7d %8d %6d %14s %12s %12s %12s\n",
			r.name, s.turns, s.rate, ms(s.p50), ms(s.p99), ms(s.max), s.errors, s.refused, s.lost, cmds,
			msOrDash(s.cpuPerTurn), msOrDash(s.redisPerTurn), msOrDash(s.genPerTurn))
	}
	if len(sums) == 2 && sums[1].rate > 0 && sums[1].p99 > 0 {
		fmt.Fprintf(w, "serve ÷ ceiling: %.1f %% of the turns/s; p99 %.1f× the ceiling's\n",
			100*sums[0].rate/sums[1].rate, float64(sums[0].p99)/float64(sums[1].p99))
		if line := budget(sums[0], sums[1], runtime.NumCPU()); line != "" {
			fmt.Fprintln(w, line)
		}
	}
}

// budget says what a quarter of the ceiling's rate leaves serve per
// turn on cores processors, once the generator (with its fakes) and
// Redis have taken what they took per turn in this run: when that is
// less than serve needed, the machine cannot drive serve that fast,
// whatever serve does.
func budget(serve, ceiling summary, cores int) string {
	if serve.cpuPerTurn < 0 || serve.genPerTurn < 0 || ceiling.rate <= 0 || cores <= 0 {
		return ""
	}
	rate := ceiling.rate / 4
	per := time.Duration(float64(cores) / rate * float64(time.Second))
	others := serve.genPerTurn + max(serve.redisPerTurn, 0)
	left := per - others
	verdict := "within reach"
	if left < serve.cpuPerTurn {
		verdict = "out of reach on this machine"
	}
	return fmt.Sprintf("25 %% of the ceiling is %.0f turns/s: %d processors give %s a turn; the generator and its fakes took %s and Redis %s, leaving %s for serve, which took %s: %s",
		rate, cores, ms(per), ms(serve.genPerTurn), msOrDash(serve.redisPerTurn), ms(left), ms(serve.cpuPerTurn), verdict)
}

func msOrDash(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return ms(d)
}
