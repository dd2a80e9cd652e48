// Package catalog holds licensebot's demo catalog of Microsoft 365 offers
// (embedded catalog.yaml) and reads custom catalogs in the same format.
//
// The demo catalog covers every segment of the licence rules' upgrade
// table with EUR list prices and the aliases people type in English and
// French. A custom file replaces it entirely; both are checked the same
// way: unique ids, at least one valid price per offer, and no alias
// claimed by two offers (the bot could not tell which one was meant).
package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/csp"
)

//go:embed catalog.yaml
var defaultYAML []byte

// document is the file layout: a top-level "offers" list whose items use
// csp.Offer's yaml tags.
type document struct {
	Offers []csp.Offer `yaml:"offers"`
}

// Default returns the embedded demo catalog.
func Default() (*csp.Catalog, error) {
	c, err := Parse(defaultYAML)
	if err != nil {
		return nil, fmt.Errorf("default catalog: %w", err)
	}
	return c, nil
}

// Load reads a catalog from a YAML file in the embedded catalog's format.
func Load(path string) (*csp.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load catalog %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and checks a catalog. Unknown keys are errors so that a
// typo in a custom file ("max_seat") is reported instead of ignored.
func Parse(data []byte) (*csp.Catalog, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc document
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("parse catalog: empty document")
		}
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	if len(doc.Offers) == 0 {
		return nil, errors.New("parse catalog: no offers")
	}
	if err := checkAliases(doc.Offers); err != nil {
		return nil, err
	}
	c, err := csp.NewCatalog(doc.Offers)
	if err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	return c, nil
}

// checkAliases enforces what the bot's matcher relies on: aliases are
// lowercase, trimmed, non-empty, and each names exactly one offer.
func checkAliases(offers []csp.Offer) error {
	owner := make(map[string]string)
	for _, o := range offers {
		for _, a := range append(append([]string(nil), o.Aliases...), o.AliasesFR...) {
			if a == "" || a != strings.TrimSpace(a) || a != strings.ToLower(a) {
				return fmt.Errorf("parse catalog: offer %q: alias %q must be non-empty, trimmed and lowercase", o.ID, a)
			}
			if prev, dup := owner[a]; dup && prev != o.ID {
				return fmt.Errorf("parse catalog: alias %q is used by offers %q and %q", a, prev, o.ID)
			}
			owner[a] = o.ID
		}
	}
	return nil
}

// Aliases returns every alias of the catalog (English and French) with the
// id of the offer it names. It is a convenience for intent matchers.
func Aliases(c *csp.Catalog) map[string]string {
	out := make(map[string]string)
	for _, o := range c.Offers {
		for _, a := range o.Aliases {
			out[a] = o.ID
		}
		for _, a := range o.AliasesFR {
			out[a] = o.ID
		}
	}
	return out
}
