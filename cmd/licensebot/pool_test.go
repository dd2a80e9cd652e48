package main

import (
	"net/http"
	"testing"

	"github.com/licensebot/licensebot/config"
)

// The pool of serve: defaults from the number of processors, each
// setting of the configuration taking over alone.
func TestPoolFromConfiguration(t *testing.T) {
	for _, c := range []struct {
		name  string
		serve config.Serve
		procs int
		want  pool
	}{
		{"2 cores", config.Serve{}, 2, pool{workers: 8, queue: 512, idleConns: 8}},
		{"16 cores", config.Serve{}, 16, pool{workers: 64, queue: 4096, idleConns: 64}},
		{"workers set", config.Serve{Workers: 12}, 2, pool{workers: 12, queue: 768, idleConns: 12}},
		{"all set", config.Serve{Workers: 12, QueueSize: 100, IdleConnsPerHost: 4}, 16, pool{workers: 12, queue: 100, idleConns: 4}},
	} {
		if got := poolFor(c.serve, c.procs); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	tr, ok := poolFor(config.Serve{IdleConnsPerHost: 24}, 2).httpClient().Transport.(*http.Transport)
	if !ok || tr.MaxIdleConnsPerHost != 24 {
		t.Errorf("platform client keeps %+v idle connections per host, want 24", tr)
	}
}
