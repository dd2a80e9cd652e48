package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd is the container image's health check: the image has
// no shell and no curl, so the binary probes itself.
func newHealthcheckCmd(g *globals) *cobra.Command {
	var addr, path string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "GET /healthz from a running serve; exit 0 when it answers 200",
		Long: `Asks a running serve whether it is alive, for a container health check
(the image has no shell). It probes the admin listener by default, which
keeps answering when the public listener is saturated; an address with no
host or a wildcard host means this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := healthcheck(ctx, addr, path); err != nil {
				return err
			}
			fmt.Fprintln(g.out, "ok")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", envOr("LICENSEBOT_ADMIN_ADDR", defaultAdminAddr), "address of serve's listener to probe (LICENSEBOT_ADMIN_ADDR)")
	cmd.Flags().StringVar(&path, "path", "/healthz", "path to GET (/readyz checks the store and the portal too)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

func healthcheck(ctx context.Context, addr, path string) error {
	url, err := localURL(addr, path)
	if err != nil {
		return &usageError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &usageError{err}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s %s", url, resp.Status, body)
	}
	return nil
}

// localURL turns a listen address (":9090", "0.0.0.0:9090") into a URL
// this machine can reach.
func localURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q is not host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
