// Package secretbox encrypts small secrets (chat platform tokens) before
// they are stored, with keys that can be rotated.
//
// The master key is 32 random bytes, given base64-encoded
// (LICENSEBOT_SECRET_KEY). It is never used directly: HKDF-SHA256 derives
// from it the AES-256-GCM key, an HMAC key per purpose (Box.MACKey) and a
// short key id. Each sealed value carries the key id of the key that
// sealed it ("v1.<kid>.<base64 nonce+ciphertext>"), so after a rotation
// the previous key (LICENSEBOT_SECRET_KEY_OLD) still opens old values
// and Open says they need re-sealing. The caller's additional data binds
// a ciphertext to the record it belongs to: a sealed token copied into
// another record does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Errors callers branch on.
var (
	// ErrNoKey: no master key is configured.
	ErrNoKey = errors.New("secretbox: no key configured (LICENSEBOT_SECRET_KEY)")
	// ErrBadKey: a key is not base64 of 32 bytes.
	ErrBadKey = errors.New("secretbox: a key must be 32 bytes, base64-encoded")
	// ErrUnknownKey: the value was sealed with a key that is not
	// configured (neither the current nor the old one).
	ErrUnknownKey = errors.New("secretbox: sealed with a key that is not configured")
	// ErrCorrupt: the value is malformed or was tampered with, or moved
	// to another record.
	ErrCorrupt = errors.New("secretbox: sealed value does not open")
)

const (
	version = "v1"
	// KeySize is the size of a master key.
	KeySize = 32
)

// key is one master key's derived material.
type key struct {
	id   string
	aead cipher.AEAD
	root []byte
}

// Box seals with the current key and opens with the current or an old
// one. It is safe for concurrent use.
type Box struct {
	cur  key
	olds []key
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not)
// master key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("%w (got %d bytes)", ErrBadKey, len(b))
			}
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// New builds a box from the current master key and any number of old
// ones (which only open).
func New(current []byte, old ...[]byte) (*Box, error) {
	if len(current) == 0 {
		return nil, ErrNoKey
	}
	cur, err := derive(current)
	if err != nil {
		return nil, err
	}
	b := &Box{cur: cur}
	for _, o := range old {
		if len(o) == 0 {
			continue
		}
		k, err := derive(o)
		if err != nil {
			return nil, err
		}
		if k.id != cur.id {
			b.olds = append(b.olds, k)
		}
	}
	return b, nil
}

// FromEnv builds a box from base64 master keys as found in the
// environment: current (LICENSEBOT_SECRET_KEY) and old
// (LICENSEBOT_SECRET_KEY_OLD, several separated by commas; may be
// empty). An empty current key returns ErrNoKey.
func FromEnv(current, old string) (*Box, error) {
	if strings.TrimSpace(current) == "" {
		return nil, ErrNoKey
	}
	c, err := ParseKey(current)
	if err != nil {
		return nil, fmt.Errorf("LICENSEBOT_SECRET_KEY: %w", err)
	}
	var olds [][]byte
	for o := range strings.SplitSeq(old, ",") {
		if strings.TrimSpace(o) == "" {
			continue
		}
		k, err := ParseKey(o)
		if err != nil {
			return nil, fmt.Errorf("LICENSEBOT_SECRET_KEY_OLD: %w", err)
		}
		olds = append(olds, k)
	}
	return New(c, olds...)
}

func derive(master []byte) (key, error) {
	if len(master) != KeySize {
		return key{}, fmt.Errorf("%w (got %d bytes)", ErrBadKey, len(master))
	}
	enc, err := hkdf.Key(sha256.New, master, nil, "licensebot secretbox v1 aes-256-gcm", 32)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: derive: %w", err)
	}
	idb, err := hkdf.Key(sha256.New, master, nil, "licensebot secretbox v1 key id", 4)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: derive: %w", err)
	}
	block, err := aes.NewCipher(enc)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: %w", err)
	}
	return key{id: hex.EncodeToString(idb), aead: aead, root: append([]byte(nil), master...)}, nil
}

// KeyID is the id of the current key (8 hex digits; it reveals nothing
// of the key).
func (b *Box) KeyID() string { return b.cur.id }

// MACKey derives a 32-byte key for purpose (an HMAC over OAuth state,
// say) from the current master key, so one secret serves several uses
// without one use's key opening another's.
func (b *Box) MACKey(purpose string) []byte {
	k, err := hkdf.Key(sha256.New, b.cur.root, nil, "licensebot mac "+purpose, 32)
	if err != nil {
		// hkdf.Key fails only for lengths above 255*32 bytes.
		panic(err)
	}
	return k
}

// Seal encrypts plaintext for the record named by ad.
func (b *Box) Seal(plaintext, ad []byte) (string, error) {
	nonce := make([]byte, b.cur.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: nonce: %w", err)
	}
	out := b.cur.aead.Seal(nonce, nonce, plaintext, ad)
	return version + "." + b.cur.id + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value for the record named by ad. stale
// reports that an old key opened it: the caller should seal it again
// with the current key and store that.
func (b *Box) Open(sealed string, ad []byte) (plaintext []byte, stale bool, err error) {
	parts := strings.Split(sealed, ".")
	if len(parts) != 3 || parts[0] != version {
		return nil, false, ErrCorrupt
	}
	k, stale, ok := b.keyByID(parts[1])
	if !ok {
		return nil, false, fmt.Errorf("%w (key id %s)", ErrUnknownKey, parts[1])
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < k.aead.NonceSize() {
		return nil, false, ErrCorrupt
	}
	n := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return nil, false, ErrCorrupt
	}
	return pt, stale, nil
}

// KeyIDOf is the key id a sealed value names ("" if malformed).
func KeyIDOf(sealed string) string {
	parts := strings.Split(sealed, ".")
	if len(parts) != 3 || parts[0] != version {
		return ""
	}
	return parts[1]
}

func (b *Box) keyByID(id string) (key, bool, bool) {
	if id == b.cur.id {
		return b.cur, false, true
	}
	for _, k := range b.olds {
		if k.id == id {
			return k, true, true
		}
	}
	return key{}, false, false
}
