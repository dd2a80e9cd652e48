package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/licensebot/licensebot/csp/sandbox"
	"github.com/licensebot/licensebot/store"
)

// sandboxStateRef is where the sandbox portal keeps its state in the
// bot's store: one global document, so every replica on one Redis sees
// one simulated portal.
var sandboxStateRef = store.Ref{Scope: "", Collection: "sandbox", ID: "state"}

// storeSandboxState is a sandbox.StateStore over the bot's store: the
// document's version is the compare-and-swap version, so two replicas
// changing the portal at once never lose one change (the loser's
// sandbox redoes its change on the winner's state).
type storeSandboxState struct {
	docs store.Documents
}

var _ sandbox.StateStore = storeSandboxState{}

// Load implements sandbox.StateStore.
func (s storeSandboxState) Load(ctx context.Context, have int64) ([]byte, int64, error) {
	d, err := s.docs.Get(ctx, sandboxStateRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, sandbox.ErrNoState
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load sandbox state: %w", err)
	}
	if d.Version == have {
		return nil, have, nil
	}
	return d.Data, d.Version, nil
}

// Save implements sandbox.StateStore.
func (s storeSandboxState) Save(ctx context.Context, version int64, data []byte) (int64, error) {
	var d store.Document
	var err error
	if version == 0 {
		d, err = s.docs.Create(ctx, sandboxStateRef, data)
	} else {
		d, err = s.docs.Update(ctx, sandboxStateRef, version, data)
	}
	switch {
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrVersionMismatch), errors.Is(err, store.ErrNotFound):
		return 0, fmt.Errorf("save sandbox state: %w", sandbox.ErrStale)
	case err != nil:
		return 0, fmt.Errorf("save sandbox state: %w", err)
	}
	return d.Version, nil
}

// String names the document in error messages.
func (s storeSandboxState) String() string {
	return fmt.Sprintf("in the store (document %s/%s)", sandboxStateRef.Collection, sandboxStateRef.ID)
}
